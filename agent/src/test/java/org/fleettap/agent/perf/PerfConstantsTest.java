package org.fleettap.agent.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PerfConstantsTest {
    @Test
    void sampleTypeBitsMatchTheUapiHeader() {
        assertThat(SampleType.IP).isEqualTo(1L);
        assertThat(SampleType.TID).isEqualTo(2L);
        assertThat(SampleType.TIME).isEqualTo(4L);
        assertThat(SampleType.CALLCHAIN).isEqualTo(32L);
        assertThat(SampleType.CPU).isEqualTo(128L);
        assertThat(SampleType.RAW).isEqualTo(1024L);
        assertThat(SampleType.REGS_USER).isEqualTo(4096L);
        assertThat(SampleType.STACK_USER).isEqualTo(8192L);
        assertThat(SampleType.IDENTIFIER).isEqualTo(65536L);
        assertThat(SampleType.PHYS_ADDR).isEqualTo(1L << 19);
        assertThat(SampleType.WEIGHT_STRUCT).isEqualTo(1L << 24);
    }

    @Test
    void recordTypesAndNames() {
        assertThat(RecordType.SAMPLE).isEqualTo(9);
        assertThat(RecordType.MMAP2).isEqualTo(10);
        assertThat(RecordType.LOST_SAMPLES).isEqualTo(13);
        assertThat(RecordType.name(RecordType.THROTTLE)).isEqualTo("THROTTLE");
        assertThat(RecordType.name(RecordType.LOST_SAMPLES)).isEqualTo("LOST_SAMPLES");
        assertThat(RecordType.name(99)).isEqualTo("TYPE_99");
        assertThat(RecordType.name(0)).isEqualTo("TYPE_0");
    }

    @Test
    void x86RegisterNumbering() {
        assertThat(X86Reg.DI).isEqualTo(5);
        assertThat(X86Reg.SP).isEqualTo(7);
        assertThat(X86Reg.IP).isEqualTo(8);
        assertThat(X86Reg.R8).isEqualTo(16);
        assertThat(X86Reg.R15).isEqualTo(23);
        assertThat(X86Reg.name(X86Reg.FLAGS)).isEqualTo("flags");
        assertThat(X86Reg.name(X86Reg.R12)).isEqualTo("r12");
        assertThat(X86Reg.byName("rdi")).isEqualTo(X86Reg.DI);
        assertThat(X86Reg.byName("RAX")).isEqualTo(X86Reg.AX);
        assertThat(X86Reg.byName("esp")).isEqualTo(X86Reg.SP);
        assertThat(X86Reg.byName("r10")).isEqualTo(X86Reg.R10);
        assertThat(X86Reg.byName("xmm0")).isEqualTo(-1);
        assertThat(X86Reg.mask(X86Reg.DI, X86Reg.SI, X86Reg.IP)).isEqualTo(0b1_0011_0000L);
        assertThatThrownBy(() -> X86Reg.name(24)).isInstanceOf(IllegalArgumentException.class);
    }
}
