package org.fleettap.agent.testing;

import java.nio.file.Path;

/** Answers computed by tools nobody here wrote (readelf, perf), to check fleettap against. */
public final class Oracles {
    private Oracles() {
    }

    /** The file offset of function {@code name} in {@code binary}: its value from readelf -s mapped through the
     *  PT_LOAD headers from readelf -l. */
    public static long functionFileOffset(Path binary, String name) {
        long vaddr = -1;
        for (String line : Fixtures.run("readelf", "-sW", binary.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 8 && f[3].equals("FUNC") && f[7].equals(name) && !f[6].equals("UND")) {
                vaddr = Long.parseUnsignedLong(f[1], 16);
                break;
            }
        }
        if (vaddr < 0) {
            throw new IllegalStateException("readelf -s: no function " + name + " in " + binary);
        }
        return vaddrFileOffset(binary, vaddr);
    }

    /** The value of symbol {@code name} per readelf -s. */
    public static long symbolValue(Path binary, String name) {
        for (String line : Fixtures.run("readelf", "-sW", binary.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 8 && f[7].equals(name) && !f[6].equals("UND")) {
                return Long.parseUnsignedLong(f[1], 16);
            }
        }
        throw new IllegalStateException("readelf -s: no symbol " + name + " in " + binary);
    }

    /** The file offset of {@code vaddr} through the PT_LOAD headers of readelf -l. */
    public static long vaddrFileOffset(Path binary, long vaddr) {
        for (String line : Fixtures.run("readelf", "-lW", binary.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && f[0].equals("LOAD")) {
                long off = Long.decode(f[1]);
                long va = Long.decode(f[2]);
                long filesz = Long.decode(f[4]);
                if (vaddr >= va && vaddr < va + filesz) {
                    return vaddr - va + off;
                }
            }
        }
        throw new IllegalStateException("readelf -l: no PT_LOAD holds 0x" + Long.toHexString(vaddr));
    }

    /** Hits of a uprobe on {@code function} while running {@code command}, counted by perf stat (perf probe). */
    public static long perfStatUprobeCount(Path binary, String function, String... command) {
        String group = "fleettaporacle";
        String event = group + ":" + function;
        Fixtures.run("perf", "probe", "-q", "-x", binary.toString(), "--add", event + "=" + function);
        try {
            String[] argv = new String[6 + command.length];
            argv[0] = "perf";
            argv[1] = "stat";
            argv[2] = "-x,";
            argv[3] = "-e";
            argv[4] = event;
            argv[5] = "--";
            System.arraycopy(command, 0, argv, 6, command.length);
            ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            Process p = pb.start();
            String err = new String(p.getErrorStream().readAllBytes());
            p.waitFor();
            for (String line : err.split("\n")) {
                String[] f = line.split(",");
                if (f.length > 2 && f[2].equals(event)) {
                    return Long.parseLong(f[0]);
                }
            }
            throw new IllegalStateException("perf stat printed no count for " + event + ": " + err);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            Fixtures.run("perf", "probe", "-q", "--del", group + ":*");
        }
    }
}
