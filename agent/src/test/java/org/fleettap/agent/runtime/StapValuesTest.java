package org.fleettap.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StapValuesTest {
    @Test
    void divisionAndRemainderByZero_areRunTimeErrors() {
        assertThatThrownBy(() -> StapLong.div(1, 0)).isInstanceOf(StapRuntimeException.class).hasMessage("division by 0");
        assertThatThrownBy(() -> StapLong.mod(1, 0)).hasMessage("division by 0");
    }

    @Test
    void divisionTruncatesTowardZero_andMinByMinusOneWraps() {
        assertThat(StapLong.div(-7, 2)).isEqualTo(-3);
        assertThat(StapLong.mod(-7, 2)).isEqualTo(-1);
        assertThat(StapLong.div(Long.MIN_VALUE, -1)).isEqualTo(Long.MIN_VALUE);
        assertThat(StapLong.mod(Long.MIN_VALUE, -1)).isZero();
        assertThat(Long.MAX_VALUE + 1).isEqualTo(Long.MIN_VALUE); // plain long arithmetic wraps as stap's
    }

    @Test
    void stringsAreCutSilentlyTo511Bytes() {
        assertThat(StapString.truncate("x".repeat(511))).hasSize(511);
        assertThat(StapString.truncate("x".repeat(512))).hasSize(511);
        assertThat(StapString.concat("a".repeat(300), "b".repeat(300))).hasSize(511).endsWith("b");
        String short170 = "é".repeat(170);
        assertThat(StapString.truncate(short170)).isSameAs(short170);
    }

    @Test
    void multiByteCharactersCountTheirUtf8Bytes_andAreNotSplit() {
        String s = StapString.truncate("é".repeat(300)); // 2 bytes each: 255 fit in 511 bytes
        assertThat(s).hasSize(255);
        assertThat(StapString.byteLength(s)).isEqualTo(510);
        assertThat(StapString.byteLength(StapString.truncate("€".repeat(200)))).isEqualTo(510);
    }
}
