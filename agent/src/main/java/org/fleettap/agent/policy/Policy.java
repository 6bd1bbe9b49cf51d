package org.fleettap.agent.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.fleettap.agent.probe.CpuClockSite;
import org.fleettap.agent.probe.KprobeSite;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.probe.TracepointSite;
import org.fleettap.agent.probe.UprobeSite;

/**
 * What the owner of an agent host allows sessions to do there, whatever the collector asks: which binaries and
 * whose processes may be probed, whether kernel probes may be, and budgets per session. It lives in a file on the
 * host ({@code fleettap agent --policy FILE}) because the collector is exactly what it must hold against: a
 * collector that is wrong, or not ours, still cannot make this host probe what its owner did not allow.
 *
 * <p>A rule that is absent limits nothing; {@link #NONE} has no rules (no file: everything allowed). The static
 * rules are checked by {@link #check} on a compiled session before anything is attached; the users rule and the
 * budgets hold while the session runs ({@link SessionGuard}).
 *
 * @param file the policy file's name as messages give it, empty for {@link #NONE}
 */
public record Policy(String file, Optional<Rule<List<BinaryPattern>>> binaries, Optional<Rule<Set<Integer>>> users,
        Optional<Rule<Boolean>> kernelProbes, Optional<Rule<Long>> maxProbesPerSession,
        Optional<Rule<Long>> maxEventsPerSecond, Optional<Rule<Long>> maxMapEntries,
        Optional<Rule<Long>> maxOutputBytesPerSecond) {
    public static final String BINARIES = "binaries";
    public static final String USERS = "users";
    public static final String KERNEL_PROBES = "kernel_probes";
    public static final String MAX_PROBES_PER_SESSION = "max_probes_per_session";
    public static final String MAX_EVENTS_PER_SECOND = "max_events_per_second";
    public static final String MAX_MAP_ENTRIES = "max_map_entries";
    public static final String MAX_OUTPUT_BYTES_PER_SECOND = "max_output_bytes_per_second";
    static final Path PASSWD = Path.of("/etc/passwd");

    /** No policy: everything allowed, as without a file. */
    public static final Policy NONE = builder("").build();

    public static Builder builder(String file) {
        return new Builder(file);
    }

    /**
     * Reads the policy file at {@code path}; user names are looked up in /etc/passwd.
     *
     * @throws PolicyException one line: the file cannot be read, or {@code file:line:col: what} is wrong in it
     */
    public static Policy read(Path path) throws PolicyException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new PolicyException(path + ": no such file");
        } catch (IOException e) {
            throw new PolicyException(path + ": cannot read: " + e.getMessage());
        }
        Map<String, Integer> uids = new HashMap<>();
        try {
            for (String line : Files.readString(PASSWD, StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split(":", -1);
                if (f.length >= 3 && f[2].matches("[0-9]{1,10}")) {
                    uids.putIfAbsent(f[0], (int) Long.parseLong(f[2]));
                }
            }
        } catch (IOException e) {
            // No user names then: a rule naming one is refused with "no user".
        }
        return PolicyParser.parse(path.toString(), bytes,
                n -> uids.containsKey(n) ? OptionalInt.of(uids.get(n)) : OptionalInt.empty());
    }

    /** Whether this policy has no rules at all. */
    public boolean isNone() {
        return binaries.isEmpty() && users.isEmpty() && kernelProbes.isEmpty() && maxProbesPerSession.isEmpty()
                && maxEventsPerSecond.isEmpty() && maxMapEntries.isEmpty() && maxOutputBytesPerSecond.isEmpty();
    }

    /** For the agent's start line: which file, and which rules it sets. */
    public String describe() {
        if (isNone()) {
            return file.isEmpty() ? "no policy file: everything allowed" : "policy " + file + " (no rules: everything"
                    + " allowed)";
        }
        StringBuilder sb = new StringBuilder("policy ").append(file).append(':');
        binaries.ifPresent(r -> sb.append(' ').append(BINARIES).append(" (").append(r.value().size()).append(')'));
        users.ifPresent(r -> sb.append(' ').append(USERS).append(' ').append(r.value()));
        kernelProbes.ifPresent(r -> sb.append(' ').append(KERNEL_PROBES).append('=').append(r.value()));
        for (Optional<Rule<Long>> o : List.of(maxProbesPerSession, maxEventsPerSecond, maxMapEntries,
                maxOutputBytesPerSecond)) {
            o.ifPresent(r -> sb.append(' ').append(r.name()).append('=').append(r.value()));
        }
        return sb.toString();
    }

    /**
     * Checks the probe sites a session resolved to against the static rules ({@code max_probes_per_session},
     * {@code kernel_probes}, {@code binaries}); empty when all are allowed, else the first denial as one line,
     * {@code policy: FILE:LINE:COL: RULE does not allow WHAT}. A binary is judged by its real path (symbolic links
     * resolved, so a link cannot smuggle in a binary the rule does not name) and, for build-id entries, by its
     * build-id note.
     */
    public Optional<String> check(List<ProbeSite> sites, Binaries files) {
        if (maxProbesPerSession.isPresent() && sites.size() > maxProbesPerSession.get().value()) {
            Rule<Long> r = maxProbesPerSession.get();
            return Optional.of(r.deny(r.name() + " " + r.value() + " does not allow " + sites.size() + " probes"));
        }
        if (kernelProbes.isPresent() && !kernelProbes.get().value()) {
            for (ProbeSite s : sites) {
                if (s instanceof TracepointSite || s instanceof KprobeSite || s instanceof CpuClockSite) {
                    return Optional.of(kernelProbes.get().deny(KERNEL_PROBES + " false does not allow "
                            + s.point()));
                }
            }
        }
        if (binaries.isPresent()) {
            Rule<List<BinaryPattern>> r = binaries.get();
            boolean needsBuildId = r.value().stream().anyMatch(BinaryPattern::needsBuildId);
            Map<Path, Boolean> judged = new HashMap<>();
            for (ProbeSite s : sites) {
                if (!(s instanceof UprobeSite u)) {
                    continue;
                }
                Path real = files.realPath(u.binary());
                boolean ok = judged.computeIfAbsent(real, p -> {
                    String buildId = needsBuildId ? files.buildId(p).orElse("") : "";
                    return r.value().stream().anyMatch(b -> b.allows(p, buildId));
                });
                if (!ok) {
                    return Optional.of(r.deny(BINARIES + " does not allow " + real));
                }
            }
        }
        return Optional.empty();
    }

    /** Builds a {@link Policy}; every rule is optional. */
    public static final class Builder {
        private final String file;
        private Rule<List<BinaryPattern>> binaries;
        private Rule<Set<Integer>> users;
        private Rule<Boolean> kernelProbes;
        private Rule<Long> maxProbesPerSession;
        private Rule<Long> maxEventsPerSecond;
        private Rule<Long> maxMapEntries;
        private Rule<Long> maxOutputBytesPerSecond;

        private Builder(String file) {
            this.file = file;
        }

        public Builder binaries(Rule<List<BinaryPattern>> r) {
            binaries = r;
            return this;
        }

        public Builder users(Rule<Set<Integer>> r) {
            users = r;
            return this;
        }

        public Builder kernelProbes(Rule<Boolean> r) {
            kernelProbes = r;
            return this;
        }

        public Builder maxProbesPerSession(Rule<Long> r) {
            maxProbesPerSession = r;
            return this;
        }

        public Builder maxEventsPerSecond(Rule<Long> r) {
            maxEventsPerSecond = r;
            return this;
        }

        public Builder maxMapEntries(Rule<Long> r) {
            maxMapEntries = r;
            return this;
        }

        public Builder maxOutputBytesPerSecond(Rule<Long> r) {
            maxOutputBytesPerSecond = r;
            return this;
        }

        public Policy build() {
            return new Policy(file, Optional.ofNullable(binaries), Optional.ofNullable(users),
                    Optional.ofNullable(kernelProbes), Optional.ofNullable(maxProbesPerSession),
                    Optional.ofNullable(maxEventsPerSecond), Optional.ofNullable(maxMapEntries),
                    Optional.ofNullable(maxOutputBytesPerSecond));
        }
    }
}
