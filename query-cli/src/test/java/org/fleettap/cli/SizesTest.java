package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void unitsArePowersOf1024() throws Exception {
        assertThat(Sizes.parse("4096")).isEqualTo(4096);
        assertThat(Sizes.parse("2KiB")).isEqualTo(2048);
        assertThat(Sizes.parse("2k")).isEqualTo(2048);
        assertThat(Sizes.parse("256MiB")).isEqualTo(268_435_456L);
        assertThat(Sizes.parse("3 GB")).isEqualTo(3_221_225_472L);
        assertThat(Sizes.parse("7b")).isEqualTo(7);
    }

    @Test
    void badSizesSayWhatIsWrong() {
        assertThatThrownBy(() -> Sizes.parse("12 parsecs")).isInstanceOf(UserErrors.UsageException.class)
                .hasMessage("bad size '12 parsecs' (expected e.g. 65536, 64KiB, 256MiB, 2GiB)");
        assertThatThrownBy(() -> Sizes.parse("-1")).hasMessageStartingWith("bad size '-1'");
        assertThatThrownBy(() -> Sizes.parse("99999999999G")).hasMessage("size '99999999999G' is too large");
    }
}
