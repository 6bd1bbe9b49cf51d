package org.fleettap.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PolicyParserTest {
    private static final String FILE = "/etc/fleettap/policy.yaml";
    private static final Map<String, Integer> USERS = Map.of("app", 1000, "db", 1002);

    static Policy parse(String text) throws PolicyException {
        return PolicyParser.parse(FILE, text.getBytes(StandardCharsets.UTF_8),
                n -> USERS.containsKey(n) ? OptionalInt.of(USERS.get(n)) : OptionalInt.empty());
    }

    @Test
    void readsEveryRuleWithWhereItsValueWasWritten() throws Exception {
        Policy p = parse("""
                # the brief's example
                binaries: ["/usr/sbin/mydb", "/opt/app/**", "build-id:3F2A"]
                users: ["app", 1001]
                kernel_probes: false
                max_probes_per_session: 200
                max_events_per_second: 100000
                max_map_entries: 100000
                max_output_bytes_per_second: 65536
                """);
        assertThat(p.file()).isEqualTo(FILE);
        assertThat(p.binaries().orElseThrow().where()).isEqualTo(FILE + ":2:11");
        assertThat(p.binaries().orElseThrow().value()).containsExactly(
                new BinaryPattern.Exact(Path.of("/usr/sbin/mydb")),
                p.binaries().orElseThrow().value().get(1), new BinaryPattern.BuildId("3f2a"));
        assertThat(p.binaries().orElseThrow().value().get(1)).isInstanceOf(BinaryPattern.Glob.class);
        assertThat(p.users().orElseThrow().value()).containsExactlyInAnyOrder(1000, 1001);
        assertThat(p.users().orElseThrow().where()).isEqualTo(FILE + ":3:8");
        assertThat(p.kernelProbes().orElseThrow().value()).isFalse();
        assertThat(p.kernelProbes().orElseThrow().where()).isEqualTo(FILE + ":4:16");
        assertThat(p.maxProbesPerSession().orElseThrow().value()).isEqualTo(200L);
        assertThat(p.maxEventsPerSecond().orElseThrow().value()).isEqualTo(100000L);
        assertThat(p.maxMapEntries().orElseThrow().value()).isEqualTo(100000L);
        assertThat(p.maxOutputBytesPerSecond().orElseThrow().value()).isEqualTo(65536L);
        assertThat(p.maxOutputBytesPerSecond().orElseThrow().where()).isEqualTo(FILE + ":8:30");
        assertThat(p.isNone()).isFalse();
        assertThat(p.describe()).isEqualTo("policy " + FILE + ": binaries (3) users [1000, 1001] kernel_probes=false "
                + "max_probes_per_session=200 max_events_per_second=100000 max_map_entries=100000 "
                + "max_output_bytes_per_second=65536");
    }

    @Test
    void anEmptyFileAllowsEverything() throws Exception {
        Policy p = parse("# nothing yet\n");
        assertThat(p.isNone()).isTrue();
        assertThat(p.describe()).isEqualTo("policy " + FILE + " (no rules: everything allowed)");
        assertThat(Policy.NONE.describe()).isEqualTo("no policy file: everything allowed");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown rule        | max_probes: 3                  | :1:1: unknown rule 'max_probes' (rules: binaries, users, kernel_probes, max_probes_per_session, max_events_per_second, max_map_entries, max_output_bytes_per_second)
            set twice           | kernel_probes: true\\nkernel_probes: false | :2:1: 'kernel_probes' is set twice (first at /etc/fleettap/policy.yaml:1:1)
            relative path       | binaries: [bin/ls]             | :1:12: binaries: 'bin/ls' is not an absolute path, a glob over absolute paths, or build-id:HEX
            odd build-id        | binaries: [build-id:abc]       | :1:12: binaries: 'build-id:abc' is not build-id: and an even number of hex digits
            binaries not a list | binaries: /usr/bin/ls          | :1:11: binaries: expected a list of paths, globs or build-id:HEX, e.g. [a, b]
            nested list         | binaries: [[/a]]               | :1:12: binaries: expected one of paths, globs or build-id:HEX here
            unknown user        | users: [app, nobody2]          | :1:14: users: no user 'nobody2' on this host
            uid too large       | users: [4294967296]            | :1:9: users: uid 4294967296 is too large
            not a boolean       | kernel_probes: no              | :1:16: kernel_probes: expected true or false, not 'no'
            zero limit          | max_events_per_second: 0       | :1:24: max_events_per_second: expected a whole number above 0, not '0'
            negative limit      | max_map_entries: -5            | :1:18: max_map_entries: expected a whole number above 0, not '-5'
            words for a limit   | max_probes_per_session: many   | :1:25: max_probes_per_session: expected a whole number above 0, not 'many'
            list for a limit    | max_output_bytes_per_second: [1] | :1:30: max_output_bytes_per_second: expected a whole number above 0
            not a mapping       | - binaries                     | :1:1: expected rules as 'rule: value' lines
            """)
    void refusesWithFileLineColumnAndWhy(String what, String text, String message) {
        assertThatThrownBy(() -> parse(text.replace("\\n", "\n"))).isInstanceOf(PolicyException.class)
                .hasMessage(FILE + message);
    }

    @Test
    void malformedYamlIsOneLineWithItsPlace() {
        assertThatThrownBy(() -> parse("binaries: [/a\nusers: [app]\n")).isInstanceOf(PolicyException.class)
                .hasMessageStartingWith(FILE + ":2:")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void notUtf8AndTooLargeAreRefused() {
        assertThatThrownBy(() -> PolicyParser.parse(FILE, new byte[] {(byte) 0xff, 'a'}, n -> OptionalInt.empty()))
                .hasMessage(FILE + ": not UTF-8 text");
        assertThatThrownBy(() -> PolicyParser.parse(FILE, new byte[PolicyParser.MAX_BYTES + 1],
                n -> OptionalInt.empty())).hasMessage(FILE + ": larger than 1024 KiB; not a policy file");
    }

    @Test
    void aMissingFileIsNamed(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path missing = dir.resolve("policy.yaml");
        assertThatThrownBy(() -> Policy.read(missing)).isInstanceOf(PolicyException.class)
                .hasMessage(missing + ": no such file");
    }

    @Test
    void readLooksUpUserNamesOnThisHost(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("policy.yaml");
        java.nio.file.Files.writeString(f, "users: [root]\n");
        assertThat(Policy.read(f).users().orElseThrow().value()).containsExactly(0);
    }
}
