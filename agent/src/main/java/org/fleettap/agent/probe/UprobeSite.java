package org.fleettap.agent.probe;

import java.nio.file.Path;
import java.util.List;

/**
 * A uprobe or uretprobe: a file offset in a binary. {@code refCtrOffset} is the file offset of a USDT semaphore
 * (0 for none). {@code fetchArgs} are tracefs fetch-args (e.g. {@code arg1=-16(%bp):s64}); a site with fetch args
 * must read memory in the probe and is attached as a dynamic tracefs event, one without through the uprobe PMU.
 */
public record UprobeSite(ProbePoint point, String name, Path binary, long fileOffset, boolean retprobe,
        long refCtrOffset, List<String> fetchArgs) implements ProbeSite {

    public UprobeSite {
        fetchArgs = List.copyOf(fetchArgs);
        if (fileOffset < 0) {
            throw new IllegalArgumentException("negative file offset " + fileOffset);
        }
    }

    public boolean needsTracefs() {
        return !fetchArgs.isEmpty();
    }

    @Override
    public String describe() {
        return "process(\"" + binary + "\")." + name + (retprobe ? ".return" : "") + " @0x"
                + Long.toHexString(fileOffset);
    }
}
