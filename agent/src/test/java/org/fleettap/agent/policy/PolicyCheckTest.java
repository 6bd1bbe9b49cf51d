package org.fleettap.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fleettap.agent.probe.CpuClockSite;
import org.fleettap.agent.probe.KprobeSite;
import org.fleettap.agent.probe.ProbePointParser;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.probe.TracepointSite;
import org.fleettap.agent.probe.UprobeSite;
import org.junit.jupiter.api.Test;

class PolicyCheckTest {
    private static final String FILE = "/etc/fleettap/policy.yaml";

    /** Files as the rule sees them: /usr/local/bin/db is a link to /usr/sbin/mydb; /tmp/x has build-id 3f2a. */
    private static final Binaries FILES = new Binaries() {
        @Override
        public Path realPath(Path p) {
            return p.equals(Path.of("/usr/local/bin/db")) ? Path.of("/usr/sbin/mydb") : p;
        }

        @Override
        public Optional<String> buildId(Path p) {
            return Optional.ofNullable(Map.of(Path.of("/tmp/x"), "3f2a").get(p));
        }
    };

    private static UprobeSite uprobe(String binary) throws Exception {
        return new UprobeSite(ProbePointParser.parse("process(\"" + binary + "\").function(\"f\")"), "function(\"f\")",
                Path.of(binary), 0x1139, false, 0, List.of(), List.of());
    }

    private static Policy policy(String text) throws Exception {
        return PolicyParserTest.parse(text);
    }

    @Test
    void binariesAllowPathsGlobsAndBuildIdsAndNameTheRuleOtherwise() throws Exception {
        Policy p = policy("kernel_probes: true\nbinaries: [\"/usr/sbin/mydb\", \"/opt/app/**\", \"build-id:3F2A\"]\n");
        assertThat(p.check(List.of(uprobe("/usr/sbin/mydb"), uprobe("/opt/app/lib/libx.so"), uprobe("/tmp/x")), FILES))
                .isEmpty();
        assertThat(p.check(List.of(uprobe("/usr/sbin/mydb"), uprobe("/usr/bin/ssh")), FILES))
                .contains("policy: " + FILE + ":2:11: binaries does not allow /usr/bin/ssh");
        // '/opt/app/**' does not match /opt/app itself, nor a sibling directory whose name starts the same.
        assertThat(p.check(List.of(uprobe("/opt/application/x")), FILES))
                .contains("policy: " + FILE + ":2:11: binaries does not allow /opt/application/x");
    }

    @Test
    void aLinkIsJudgedByTheFileItLeadsTo() throws Exception {
        assertThat(policy("binaries: [/usr/sbin/mydb]\n").check(List.of(uprobe("/usr/local/bin/db")), FILES)).isEmpty();
        assertThat(policy("binaries: [/usr/local/bin/db]\n").check(List.of(uprobe("/usr/local/bin/db")), FILES))
                .contains("policy: " + FILE + ":1:11: binaries does not allow /usr/sbin/mydb");
    }

    @Test
    void oneStarStaysInItsDirectory() throws Exception {
        Policy p = policy("binaries: [\"/opt/app/*\"]\n");
        assertThat(p.check(List.of(uprobe("/opt/app/server")), FILES)).isEmpty();
        assertThat(p.check(List.of(uprobe("/opt/app/lib/libx.so")), FILES))
                .contains("policy: " + FILE + ":1:11: binaries does not allow /opt/app/lib/libx.so");
    }

    @Test
    void kernelProbesFalseRefusesTracepointsKprobesAndProfiling() throws Exception {
        Policy p = policy("\nkernel_probes: false\n");
        List<ProbeSite> tracepoint = List.of(new TracepointSite(ProbePointParser.parse("syscall.futex"), "syscalls",
                "sys_enter_futex"));
        List<ProbeSite> kprobe = List.of(new KprobeSite(ProbePointParser.parse("kernel.function(\"vfs_read\")"),
                "vfs_read", false));
        List<ProbeSite> profile = List.of(new CpuClockSite(ProbePointParser.parse("timer.profile"), 4_000_000));
        assertThat(p.check(tracepoint, FILES))
                .contains("policy: " + FILE + ":2:16: kernel_probes false does not allow syscall.futex");
        assertThat(p.check(kprobe, FILES))
                .contains("policy: " + FILE + ":2:16: kernel_probes false does not allow "
                        + "kernel.function(\"vfs_read\")");
        assertThat(p.check(profile, FILES))
                .contains("policy: " + FILE + ":2:16: kernel_probes false does not allow timer.profile");
        assertThat(p.check(List.of(uprobe("/usr/bin/ssh")), FILES)).isEmpty();
        assertThat(policy("kernel_probes: true\n").check(tracepoint, FILES)).isEmpty();
    }

    @Test
    void maxProbesPerSessionCountsSites() throws Exception {
        Policy p = policy("max_probes_per_session: 2\n");
        List<ProbeSite> sites = new ArrayList<>();
        sites.add(uprobe("/a"));
        sites.add(uprobe("/b"));
        assertThat(p.check(sites, FILES)).isEmpty();
        sites.add(uprobe("/c"));
        assertThat(p.check(sites, FILES))
                .contains("policy: " + FILE + ":1:25: max_probes_per_session 2 does not allow 3 probes");
    }

    @Test
    void noPolicyAllowsEverything() throws Exception {
        assertThat(Policy.NONE.check(List.of(uprobe("/usr/bin/ssh"), new KprobeSite(
                ProbePointParser.parse("kernel.function(\"vfs_read\")"), "vfs_read", false)), FILES)).isEmpty();
    }
}
