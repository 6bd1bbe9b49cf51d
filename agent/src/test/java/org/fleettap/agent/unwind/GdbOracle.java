package org.fleettap.agent.unwind;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.ElfFormatException;
import org.fleettap.agent.perf.X86Reg;
import org.fleettap.agent.testing.Fixtures;

/**
 * Stops a fixture under gdb (which disables ASLR) and records what an unwinder needs and what gdb answers: the
 * registers, the stack from sp to the end of its mapping (at most 64 KiB, as a perf stack copy), the mappings, and
 * gdb's frames (pc, whether inline or tail-call, function).
 */
final class GdbOracle {
    private static final String SCRIPT = """
            import gdb, os
            OUT = os.environ['SNAP_OUT']
            def frames():
                out = []
                f = gdb.newest_frame()
                while f is not None:
                    out.append(f)
                    f = f.older()
                return out
            def snap():
                f = gdb.newest_frame()
                names = ['rax','rbx','rcx','rdx','rsi','rdi','rbp','rsp','r8','r9','r10','r11','r12','r13','r14',
                         'r15','rip']
                with open(OUT + '/regs.txt', 'w') as o:
                    for n in names:
                        o.write('%s %x\\n' % (n, int(f.read_register(n)) & 0xffffffffffffffff))
                with open(OUT + '/frames.txt', 'w') as o:
                    for fr in frames():
                        virtual = fr.type() in (gdb.INLINE_FRAME, gdb.TAILCALL_FRAME)
                        o.write('%x %d %s\\n' % (fr.pc(), 1 if virtual else 0, fr.name()))
                maps = gdb.execute('info proc mappings', to_string=True)
                with open(OUT + '/maps.txt', 'w') as o:
                    o.write(maps)
                sp = int(f.read_register('rsp')) & 0xffffffffffffffff
                end = sp + 65536
                for line in maps.splitlines():
                    p = line.split()
                    if len(p) >= 4 and p[0].startswith('0x'):
                        s, e = int(p[0], 16), int(p[1], 16)
                        if s <= sp < e:
                            end = min(end, e)
                gdb.execute('dump binary memory %s/stack.bin %d %d' % (OUT, sp, end))
            def futex_snap(args):
                gdb.execute('catch syscall futex')
                gdb.execute('run ' + args)
                for i in range(2000):
                    names = [fr.name() or '' for fr in frames()]
                    if any('mutex_lock' in n for n in names) and 'run' in names:
                        snap()
                        return
                    gdb.execute('continue')
                raise gdb.GdbError('no futex wait under pthread_mutex_lock')
            gdb.execute('set pagination off')
            gdb.execute('set confirm off')
            gdb.execute('set debuginfod enabled off')
            gdb.execute('set backtrace past-main on')
            """;

    /** A mapping line of {@code info proc mappings}. */
    record Mapping(long start, long end, long offset, String path) {
    }

    /** One gdb frame; {@code virtual} frames (inline, tail call) have no stack frame of their own. */
    record GdbFrame(long pc, boolean virtual, String name) {
    }

    /** What gdb recorded at the stop. */
    record Snapshot(UserRegisters regs, ByteBuffer stack, List<Mapping> mappings, List<GdbFrame> frames) {
        /** The pcs of gdb's real frames: frame 0's pc, then return addresses. */
        List<Long> framePcs() {
            return frames.stream().filter(f -> !f.virtual()).map(GdbFrame::pc).toList();
        }

        /** gdb's frames as "0x... name" lines, virtual frames marked. */
        String describe() {
            StringBuilder b = new StringBuilder();
            for (GdbFrame f : frames) {
                b.append(String.format("  0x%x %s%s%n", f.pc(), f.name(), f.virtual() ? " (inline)" : ""));
            }
            return b.toString();
        }
    }

    private GdbOracle() {
    }

    /** Whether gdb runs here. */
    static boolean available() {
        try {
            Fixtures.run("gdb", "--version");
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** Runs {@code binary} to breakpoint {@code location} (gdb syntax) and records the stop. */
    static Snapshot atBreakpoint(Path dir, Path binary, String location, String runArgs) throws IOException {
        return capture(dir, binary, List.of("-ex", "break " + location, "-ex", "run " + runArgs,
                "-ex", "python snap()"));
    }

    /** Runs {@code binary} until a thread enters the futex syscall under pthread_mutex_lock, and records it. */
    static Snapshot inMutexFutexWait(Path dir, Path binary, String runArgs) throws IOException {
        return capture(dir, binary, List.of("-ex", "python futex_snap('" + runArgs + "')"));
    }

    private static Snapshot capture(Path dir, Path binary, List<String> commands) throws IOException {
        Path script = dir.resolve("snap.py");
        Files.writeString(script, SCRIPT);
        List<String> cmd = new ArrayList<>(List.of("env", "SNAP_OUT=" + dir, "gdb", "-batch", "-nx", "-x",
                script.toString()));
        cmd.addAll(commands);
        cmd.addAll(List.of("-ex", "kill", binary.toString()));
        String out = Fixtures.run(cmd);
        if (!Files.exists(dir.resolve("stack.bin"))) {
            throw new IllegalStateException("gdb recorded nothing:\n" + out);
        }
        return new Snapshot(registers(Files.readAllLines(dir.resolve("regs.txt"))),
                ByteBuffer.wrap(Files.readAllBytes(dir.resolve("stack.bin"))),
                mappings(Files.readString(dir.resolve("maps.txt"))),
                frames(Files.readAllLines(dir.resolve("frames.txt"))));
    }

    private static UserRegisters registers(List<String> lines) {
        UserRegisters regs = UserRegisters.none();
        for (String line : lines) {
            String[] f = line.trim().split(" ");
            regs = regs.with(X86Reg.byName(f[0].equals("rip") ? "ip" : f[0]), Long.parseUnsignedLong(f[1], 16));
        }
        return regs;
    }

    static List<Mapping> mappings(String text) {
        List<Mapping> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !f[0].startsWith("0x")) {
                continue;
            }
            int pathAt = f.length > 4 && f[4].matches("[r-][w-][x-][ps-]") ? 5 : 4;
            String path = pathAt < f.length ? String.join(" ", List.of(f).subList(pathAt, f.length)) : "";
            out.add(new Mapping(hex(f[0]), hex(f[1]), hex(f[3]), path));
        }
        return out;
    }

    private static long hex(String s) {
        return Long.parseUnsignedLong(s.startsWith("0x") ? s.substring(2) : s, 16);
    }

    private static List<GdbFrame> frames(List<String> lines) {
        List<GdbFrame> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ", 3);
            out.add(new GdbFrame(Long.parseUnsignedLong(f[0], 16), f[1].equals("1"), f.length > 2 ? f[2] : ""));
        }
        return out;
    }

    /**
     * A module lookup over the file-backed mappings, as the agent will build one from /proc/PID/maps; files whose
     * path is in {@code withoutCfi} get empty CFI (to exercise the frame-pointer fallback).
     */
    static ModuleMap modules(List<Mapping> mappings, List<String> withoutCfi)
            throws IOException, ElfFormatException, DwarfFormatException {
        ModuleMap.Builder b = ModuleMap.builder();
        Map<String, ElfFile> elves = new HashMap<>();
        Map<String, CallFrameInfo> cfis = new HashMap<>();
        for (Mapping m : mappings) {
            if (!m.path().startsWith("/") || !Files.isRegularFile(Path.of(m.path()))) {
                continue;
            }
            ElfFile elf = elves.get(m.path());
            if (elf == null) {
                elf = ElfFiles.map(Path.of(m.path()));
                elves.put(m.path(), elf);
                cfis.put(m.path(), withoutCfi.stream().anyMatch(m.path()::endsWith)
                        ? new CallFrameInfo(List.of()) : CallFrameInfo.of(elf));
            }
            OptionalLong bias = Module.loadBias(elf, m.start(), m.offset());
            if (bias.isEmpty()) {
                continue;
            }
            b.add(m.start(), m.end(), new Module(m.path(), cfis.get(m.path()), bias.getAsLong()));
        }
        return b.build();
    }
}
