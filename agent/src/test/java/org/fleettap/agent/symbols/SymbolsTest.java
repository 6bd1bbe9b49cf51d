package org.fleettap.agent.symbols;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.testing.Oracles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SymbolsTest {
    private static final Pattern GDB_ADDRESS = Pattern.compile("0x([0-9a-f]+) <");

    @Test
    void parsesProcMapsLines() {
        List<Mapping> maps = ProcMaps.parse(
                "55d0c2a4e000-55d0c2a4f000 r-xp 00001000 fe:01 1234567                    /usr/bin/loop\n"
                + "7ffd3a1c6000-7ffd3a1e7000 rw-p 00000000 00:00 0                          [stack]\n"
                + "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n");
        assertThat(maps).containsExactly(
                new Mapping(0x55d0c2a4e000L, 0x55d0c2a4f000L, "r-xp", 0x1000, 1234567, "/usr/bin/loop"),
                new Mapping(0x7ffd3a1c6000L, 0x7ffd3a1e7000L, "rw-p", 0, 0, "[stack]"),
                new Mapping(0x7f0000000000L, 0x7f0000001000L, "rw-p", 0, 0, ""));
        assertThat(maps.get(0).executable()).isTrue();
        assertThat(maps.get(1).isFile()).isFalse();
    }

    /** Runtime addresses from gdb attached to the live process map back to the link-time values of nm. */
    @Test
    void loadBiasesOfAProcessAndItsLibrariesAgreeWithGdb() throws Exception {
        Path waitloop = Fixtures.path("waitloop");
        withWaitloop(List.of("print &f", "print &pthread_create"), (pid, gdb) -> {
            List<Long> addrs = GDB_ADDRESS.matcher(gdb).results()
                    .map(m -> Long.parseUnsignedLong(m.group(1), 16)).toList();
            assertThat(addrs).hasSize(2);
            ProcessModules modules = ProcessModules.of(pid, new ModuleCache());

            LoadedModule exe = modules.find(addrs.get(0)).orElseThrow();
            assertThat(exe.path()).isEqualTo(waitloop);
            assertThat(exe.toLinkTime(addrs.get(0))).isEqualTo(Oracles.symbolValue(waitloop, "f"));

            LoadedModule libc = modules.find(addrs.get(1)).orElseThrow();
            assertThat(libc.path().getFileName().toString()).startsWith("libc.so");
            long nmValue = nmDynamic(libc.path(), "pthread_create");
            assertThat(libc.toLinkTime(addrs.get(1))).isEqualTo(nmValue);
        });
    }

    /** What a test checks of the waitloop fixture while it waits: its pid and what gdb answered about it. */
    private interface WaitloopCheck {
        void check(int pid, String gdb) throws Exception;
    }

    /** Starts waitloop, waits until it is ready, asks gdb attached to it {@code commands}, and checks. */
    private static void withWaitloop(List<String> commands, WaitloopCheck check) throws Exception {
        Process p = new ProcessBuilder(Fixtures.path("waitloop").toString(), "10", "0", "0").start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("ready");
            List<String> gdb = new java.util.ArrayList<>(List.of("gdb", "-batch", "-nx", "-p", Long.toString(p.pid())));
            commands.forEach(c -> gdb.addAll(List.of("-ex", c)));
            check.check((int) p.pid(), Fixtures.run(gdb.toArray(new String[0])));
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * usymdata: runtime addresses of data objects (gdb on the live process) named with the offset and the size
     * that nm -S gives, in the program's .bss and in libc's .data (a static only the debug file names).
     */
    @Test
    void dataAddressesAreNamedWithOffsetAndSizeAsNmGivesThem() throws Exception {
        Path waitloop = Fixtures.path("waitloop");
        withWaitloop(List.of("print &lock", "print &calls", "print (char *) &cond + 4", "print &main_arena",
                "print sizeof(main_arena)"), (pid, gdb) -> {
            List<Long> addrs = GDB_ADDRESS.matcher(gdb).results()
                    .map(m -> Long.parseUnsignedLong(m.group(1), 16)).toList();
            assertThat(addrs).as(gdb).hasSize(4);
            Symbolizer symbolizer = new Symbolizer(new ModuleTracker(new ModuleCache()), DebugFiles.system());
            assertThat(symbolizer.symbolizeData(pid, addrs.get(0)))
                    .isEqualTo("lock+0x0/0x" + nmSize(waitloop, "lock") + " [" + waitloop + "]");
            assertThat(symbolizer.symbolizeData(pid, addrs.get(1)))
                    .isEqualTo("calls+0x0/0x" + nmSize(waitloop, "calls") + " [" + waitloop + "]");
            assertThat(symbolizer.symbolizeData(pid, addrs.get(2)))
                    .isEqualTo("cond+0x4/0x" + nmSize(waitloop, "cond") + " [" + waitloop + "]");
            // libc's own static (its name from the libc6-dbg debug file; the size as gdb gives it)
            java.util.regex.Matcher size = Pattern.compile("\\$5 = (\\d+)").matcher(gdb);
            assertThat(size.find()).as(gdb).isTrue();
            assertThat(symbolizer.symbolizeData(pid, addrs.get(3))).matches("main_arena\\+0x0/0x"
                    + Long.toHexString(Long.parseLong(size.group(1))) + " \\[/.*/libc\\.so\\.6\\]");
            assertThat(symbolizer.symbolizeData(pid, 0x10)).isEqualTo("0x10");
        });
    }

    /** The size nm -S gives a symbol of {@code binary}, in hex without leading zeros. */
    private static String nmSize(Path binary, String name) {
        for (String line : Fixtures.run("nm", "-S", binary.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 4 && f[3].equals(name)) {
                return Long.toHexString(Long.parseUnsignedLong(f[1], 16));
            }
        }
        throw new IllegalStateException("nm -S: no " + name + " in " + binary);
    }

    private static long nmDynamic(Path lib, String name) {
        for (String line : Fixtures.run("nm", "-D", lib.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[2].startsWith(name + "@@")) {
                return Long.parseUnsignedLong(f[0], 16);
            }
        }
        throw new IllegalStateException("nm -D: no default version of " + name);
    }

    /** Every function of the fixtures: lookup at entry and inside equals addr2line -f. */
    @Test
    void functionIndexAgreesWithAddr2line() {
        for (String fixture : List.of("loop", "lines-O2", "threads", "libfixturelib.so")) {
            Path bin = Fixtures.path(fixture);
            ElfFile elf = map(bin);
            FunctionIndex index = FunctionIndex.of(elf);
            List<Long> probes = new java.util.ArrayList<>();
            for (var s : elf.functions()) {
                if (s.isDefined() && s.value() != 0 && s.size() > 1) {
                    probes.add(s.value());
                    probes.add(s.value() + s.size() - 1);
                }
            }
            List<String> cmd = new java.util.ArrayList<>(List.of("addr2line", "-f", "-e", bin.toString()));
            probes.forEach(a -> cmd.add("0x" + Long.toHexString(a)));
            String[] lines = Fixtures.run(cmd).split("\n");
            assertThat(lines).hasSize(probes.size() * 2);
            for (int i = 0; i < probes.size(); i++) {
                Optional<FunctionIndex.Hit> hit = index.lookup(probes.get(i));
                assertThat(hit).as("%s 0x%x", fixture, probes.get(i)).isPresent();
                assertThat(hit.get().name()).as("%s 0x%x", fixture, probes.get(i)).isEqualTo(lines[2 * i]);
            }
        }
    }

    @Test
    void separateDebugInfoIsFoundByDebuglinkBesideTheBinaryAndInDotDebug() throws Exception {
        Path split = Fixtures.path("loop-split");
        assertThat(DebugFiles.system().find(split, map(split))).contains(Fixtures.path("loop-split.debug"));
        Path split2 = Fixtures.path("debugdir/loop-split2");
        assertThat(DebugFiles.system().find(split2, map(split2)))
                .contains(Fixtures.path("debugdir/.debug/loop-split2.debug"));
        Path plain = Fixtures.path("loop");
        assertThat(DebugFiles.system().find(plain, map(plain))).isEmpty();
    }

    @Test
    void buildIdDirectoryComesFirstAndAStaleDebuglinkIsIgnored(@TempDir Path dir) throws Exception {
        Path bin = Files.copy(Fixtures.path("loop-split"), dir.resolve("loop-split"));
        ElfFile elf = map(bin);
        // A debug file of another build under the linked name: its CRC does not match.
        Files.copy(Fixtures.path("loop-dwarf4"), dir.resolve("loop-split.debug"));
        Path root = dir.resolve("debugroot");
        assertThat(new DebugFiles(List.of(root)).find(bin, elf)).isEmpty();
        String id = elf.buildId().orElseThrow();
        assertThat(Fixtures.run("readelf", "-n", bin.toString())).contains("Build ID: " + id);
        Path byId = root.resolve(".build-id").resolve(id.substring(0, 2)).resolve(id.substring(2) + ".debug");
        Files.createDirectories(byId.getParent());
        Files.copy(Fixtures.path("loop-split.debug"), byId);
        assertThat(new DebugFiles(List.of(root)).find(bin, elf)).contains(byId);
    }

    private static ElfFile map(Path p) {
        try {
            return ElfFiles.map(p);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
