package org.fleettap.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostFactsTest {
    @Test
    void theHostNameIsTheDefaultHostId() {
        assertThat(HostFacts.chooseHostId("web-7\n", "3d1219c7c4c5404aaa1f6d2a48adfda4\n")).isEqualTo("web-7");
    }

    @Test
    void theMachineIdStandsInForAnEmptyOrLocalHostName() {
        assertThat(HostFacts.chooseHostId("localhost\n", "3d1219c7\n")).isEqualTo("3d1219c7");
        assertThat(HostFacts.chooseHostId("", "3d1219c7\n")).isEqualTo("3d1219c7");
        assertThat(HostFacts.chooseHostId("(none)\n", "3d1219c7\n")).isEqualTo("3d1219c7");
    }

    @Test
    void neitherIsAnErrorThatSaysWhatToDo() {
        assertThatThrownBy(() -> HostFacts.chooseHostId("", "")).hasMessage(
                "no host id: the host name is '' and /etc/machine-id is empty or missing; set one");
    }

    @Test
    void kernelVersionIsUnameR() throws Exception {
        Process p = new ProcessBuilder("uname", "-r").start();
        String expected = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor()).isZero();
        assertThat(HostFacts.kernelVersion()).isEqualTo(expected);
    }
}
