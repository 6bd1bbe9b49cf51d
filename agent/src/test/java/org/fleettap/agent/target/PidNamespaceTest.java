package org.fleettap.agent.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PidNamespaceTest {

    @Test
    void theLinkTargetNamesTheNamespaceByInode() {
        PidNamespace initial = PidNamespace.parseLink("pid:[4026531836]");
        assertThat(initial.inode()).isEqualTo(4026531836L);
        assertThat(initial.isInitial()).isTrue();
        PidNamespace child = PidNamespace.parseLink("pid:[4026532301]\n");
        assertThat(child.inode()).isEqualTo(4026532301L);
        assertThat(child.isInitial()).isFalse();
    }

    @Test
    void otherLinksAreRejectedNamingWhatWasRead() {
        assertThatThrownBy(() -> PidNamespace.parseLink("net:[4026531840]"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a PID namespace link: 'net:[4026531840]'");
        assertThatThrownBy(() -> PidNamespace.parseLink("pid:[]")).isInstanceOf(IllegalArgumentException.class);
    }

    /** The inode of the namespace file itself, as stat(2) reports it, is the one the link names. */
    @Test
    void theCurrentNamespaceIsTheOneProcReportsForThisProcess() throws Exception {
        long inode = ((Number) Files.getAttribute(Path.of("/proc/self/ns/pid"), "unix:ino")).longValue();
        assertThat(PidNamespace.current().inode()).isEqualTo(inode);
        assertThat(PidNamespace.current()).isSameAs(PidNamespace.current());
    }
}
