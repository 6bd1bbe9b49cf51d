package org.fleettap.agent.compiler;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fleettap.agent.probe.ProbeException;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.probe.TargetAccess;
import org.fleettap.agent.probe.UprobeSite;
import org.fleettap.agent.script.SourceLocation;
import org.fleettap.agent.tracefs.FetchArg;
import org.fleettap.agent.tracefs.FetchType;

/**
 * What one body reads in the kernel at its uprobe sites, in the probe itself (tracefs fetch args named
 * {@code _f0, _f1, ...}): parameters, {@code ->} members, raw ABI arguments, and memory at such addresses. Each
 * read is worked out for every site (a glob's functions may keep a parameter in different places); the handler
 * finds the value by name in whichever site fired.
 */
final class KernelReads {
    /** How one site reads a value. */
    interface Access {
        TargetAccess at(UprobeSite site) throws ProbeException;
    }

    /** A number read under {@code field}; the script's value is the field plus {@code addend}. */
    record Number(String field, long addend) {
    }

    private final List<ProbeSite> sites;
    private final Map<String, String> names = new LinkedHashMap<>();
    private final List<List<FetchArg>> perSite = new ArrayList<>();

    KernelReads(List<ProbeSite> sites) {
        this.sites = List.copyOf(sites);
        for (int i = 0; i < sites.size(); i++) {
            perSite.add(new ArrayList<>());
        }
    }

    /** Whether this body can read in the kernel: it fires only at uprobe sites (functions, statements, marks). */
    boolean possible() {
        return !sites.isEmpty() && sites.stream().allMatch(s -> s instanceof UprobeSite u && !u.retprobe());
    }

    /** The number {@code access} yields, read at every site; {@code key} makes equal reads share one field. */
    Number number(String key, Access access, SourceLocation at) {
        Long addend = null;
        boolean fresh = !names.containsKey("n:" + key);
        String name = names.computeIfAbsent("n:" + key, k -> "_f" + names.size());
        for (int i = 0; i < sites.size(); i++) {
            TargetAccess a = resolve(access, i, at);
            if (addend != null && addend != a.addend()) {
                throw new Unsupported(at, "'" + key + "' lies at different offsets in " + sites.get(0).describe()
                        + " and " + sites.get(i).describe() + ": probe them in separate probes");
            }
            addend = a.addend();
            if (fresh) {
                perSite.get(i).add(a.fetchArg(name));
            }
        }
        return new Number(name, addend);
    }

    /** The field holding the string at the address {@code access} yields, read at every site. */
    String string(String key, Access access, SourceLocation at) {
        return load("s:" + key, access, FetchType.STRING, at);
    }

    /** The field holding the integer of {@code type} at the address {@code access} yields. */
    String integer(String key, Access access, FetchType type, SourceLocation at) {
        return load(type.token() + ":" + key, access, type, at);
    }

    private String load(String key, Access access, FetchType type, SourceLocation at) {
        String name = names.get(key);
        if (name != null) {
            return name;
        }
        String fresh = "_f" + names.size();
        names.put(key, fresh);
        for (int i = 0; i < sites.size(); i++) {
            try {
                perSite.get(i).add(FetchArg.of(fresh, resolve(access, i, at).load(), type));
            } catch (ProbeException e) {
                throw new Unsupported(at, e.getMessage());
            }
        }
        return fresh;
    }

    private TargetAccess resolve(Access access, int i, SourceLocation at) {
        try {
            return access.at((UprobeSite) sites.get(i));
        } catch (ProbeException e) {
            throw new Unsupported(at, e.getMessage());
        }
    }

    /** The sites with the reads added to their fetch args. */
    List<ProbeSite> apply() {
        if (names.isEmpty()) {
            return sites;
        }
        List<ProbeSite> out = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            UprobeSite u = (UprobeSite) sites.get(i);
            List<FetchArg> args = new ArrayList<>(u.fetchArgs());
            args.addAll(perSite.get(i));
            out.add(u.withFetchArgs(args));
        }
        return out;
    }
}
