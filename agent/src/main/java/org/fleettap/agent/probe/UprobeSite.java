package org.fleettap.agent.probe;

import java.nio.file.Path;
import java.util.List;
import org.fleettap.agent.elf.SdtArg;
import org.fleettap.agent.tracefs.FetchArg;

/**
 * A uprobe or uretprobe: a file offset in a binary. {@code refCtrOffset} is the file offset of a USDT semaphore
 * (0 for none). {@code fetchArgs} are tracefs fetch-args (e.g. {@code arg1=-16(%bp):s64}); a site with fetch args
 * must read memory in the probe and is attached as a dynamic tracefs event, one without through the uprobe PMU.
 * {@code markArgs} are a USDT mark's arguments (empty for functions); {@link UsdtArguments} turns them into fetch
 * args and decodes the recorded values.
 */
public record UprobeSite(ProbePoint point, String name, Path binary, long fileOffset, boolean retprobe,
        long refCtrOffset, List<FetchArg> fetchArgs, List<SdtArg> markArgs) implements ProbeSite {

    public UprobeSite {
        fetchArgs = List.copyOf(fetchArgs);
        markArgs = List.copyOf(markArgs);
        if (fileOffset < 0) {
            throw new IllegalArgumentException("negative file offset " + fileOffset);
        }
    }

    public boolean needsTracefs() {
        return !fetchArgs.isEmpty();
    }

    /** The same site, reading {@code args} in the probe. */
    public UprobeSite withFetchArgs(List<FetchArg> args) {
        return new UprobeSite(point, name, binary, fileOffset, retprobe, refCtrOffset, args, markArgs);
    }

    @Override
    public String describe() {
        return "process(\"" + binary + "\")." + name + (retprobe ? ".return" : "") + " @0x"
                + Long.toHexString(fileOffset);
    }
}
