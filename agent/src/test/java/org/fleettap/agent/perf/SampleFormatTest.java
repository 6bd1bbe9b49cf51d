package org.fleettap.agent.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SampleFormatTest {
    @Test
    void uprobeFormatLayout() {
        SampleFormat f = SampleFormat.of(RingWriter.UPROBE_TYPE, X86Reg.mask(X86Reg.SP, X86Reg.DI, X86Reg.IP), true);
        assertThat(f.userRegCount()).isEqualTo(3);
        assertThat(f.userRegIndex(X86Reg.DI)).isEqualTo(0);
        assertThat(f.userRegIndex(X86Reg.SP)).isEqualTo(1);
        assertThat(f.userRegIndex(X86Reg.IP)).isEqualTo(2);
        assertThat(f.userRegIndex(X86Reg.AX)).isEqualTo(-1);
        assertThat(f.userRegIndex(64)).isEqualTo(-1);
        // TID + TIME + CPU + IDENTIFIER
        assertThat(f.sampleIdSize()).isEqualTo(32);
        assertThat(f.prefixSize()).isEqualTo(8 + 32);
        assertThat(f.suffixSize()).isZero();
        assertThat(f.has(SampleType.TID | SampleType.TIME)).isTrue();
        assertThat(f.has(SampleType.IP)).isFalse();
    }

    @Test
    void noTrailerWithoutSampleIdAll() {
        SampleFormat f = SampleFormat.of(SampleType.IDENTIFIER | SampleType.TIME, 0, false);
        assertThat(f.sampleIdSize()).isZero();
        assertThat(f).isEqualTo(SampleFormat.of(SampleType.IDENTIFIER | SampleType.TIME, 0, false));
        assertThat(f).isNotEqualTo(SampleFormat.of(SampleType.IDENTIFIER | SampleType.TIME, 0, true));
    }

    @Test
    void requiresIdentifier() {
        assertThatThrownBy(() -> SampleFormat.of(SampleType.TID | SampleType.TIME, 0, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PERF_SAMPLE_IDENTIFIER");
    }

    @ParameterizedTest(name = "bit {0} is refused")
    @ValueSource(longs = {1L << 4, 1L << 11, 1L << 18, 1L << 20, 1L << 40})
    void refusesBitsItCannotLayOut(long bit) {
        assertThatThrownBy(() -> SampleFormat.of(SampleType.IDENTIFIER | bit, 0, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not supported");
    }

    @Test
    void regsMaskMustMatchRegsUser() {
        assertThatThrownBy(() -> SampleFormat.of(SampleType.IDENTIFIER, 1, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SampleFormat.of(SampleType.IDENTIFIER | SampleType.REGS_USER, 0, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SampleFormat.of(
                SampleType.IDENTIFIER | SampleType.WEIGHT | SampleType.WEIGHT_STRUCT, 0, true))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
