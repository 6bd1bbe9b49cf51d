package org.fleettap.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** thread_indent as tapset/indent.stp computes it, with injected time, thread id and name. */
class ThreadIndentTest {
    @Test
    void callGraph_nestsOneSpacePerLevel_timeRelativeToTheThreadsFirstIndent() {
        ThreadIndent ti = new ThreadIndent();
        assertThat(ti.threadIndent(1, 1338, "usb-storage", 1_000_000) + "-> usb_submit_urb")
                .isEqualTo("     0 usb-storage(1338):-> usb_submit_urb");
        assertThat(ti.threadIndent(1, 1338, "usb-storage", 1_000_006) + "-> usb_hcd_submit_urb")
                .isEqualTo("     6 usb-storage(1338): -> usb_hcd_submit_urb");
        assertThat(ti.threadIndent(1, 1338, "usb-storage", 1_000_012) + "-> usb_get_urb")
                .isEqualTo("    12 usb-storage(1338):  -> usb_get_urb");
        assertThat(ti.threadIndent(-1, 1338, "usb-storage", 1_000_018) + "<- usb_get_urb")
                .isEqualTo("    18 usb-storage(1338):  <- usb_get_urb");
        assertThat(ti.threadIndent(-1, 1338, "usb-storage", 1_000_025) + "<- usb_hcd_submit_urb")
                .isEqualTo("    25 usb-storage(1338): <- usb_hcd_submit_urb");
        assertThat(ti.threadIndent(-1, 1338, "usb-storage", 1_000_029) + "<- usb_submit_urb")
                .isEqualTo("    29 usb-storage(1338):<- usb_submit_urb");
        // back at depth 0: the next entry restarts the clock
        assertThat(ti.threadIndent(1, 1338, "usb-storage", 2_000_000)).isEqualTo("     0 usb-storage(1338):");
    }

    @Test
    void threadsAreIndependent_andTimesWiderThanSixDigitsAreNotCut() {
        ThreadIndent ti = new ThreadIndent();
        ti.threadIndent(1, 1, "a", 0);
        assertThat(ti.threadIndent(1, 2, "b", 50)).isEqualTo("     0 b(2):");
        assertThat(ti.threadIndent(1, 1, "a", 12_345_678)).isEqualTo("12345678 a(1): ");
    }

    @Test
    void unbalancedReturns_neverIndentBelowZero() {
        ThreadIndent ti = new ThreadIndent();
        assertThat(ti.threadIndent(-1, 7, "x", 10)).isEqualTo("     0 x(7):");
        assertThat(ti.threadIndent(-1, 7, "x", 20)).isEqualTo("    10 x(7):");
        assertThat(ti.threadIndentDepth(1, 7)).isZero();
    }

    @Test
    void indent_isOneSharedCounterWithoutAName() {
        ThreadIndent ti = new ThreadIndent();
        assertThat(ti.indent(2, 100)).isEqualTo("     0 : ");
        assertThat(ti.indent(-2, 103)).isEqualTo("     3 : ");
    }
}
