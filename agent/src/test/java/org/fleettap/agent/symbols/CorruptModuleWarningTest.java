package org.fleettap.agent.symbols;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.Section;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged file met while symbolizing costs a one-line warning naming it, once, and the session goes on without
 * it; a file that is not ELF at all (processes map data files) passes quietly.
 */
final class CorruptModuleWarningTest {

    /** The lines written to standard error (where slf4j-simple logs) while {@code action} runs. */
    private static List<String> stderrOf(Runnable action) {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(saved);
        }
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void truncatedElfIsOneWarningNamingTheFile(@TempDir Path dir) throws Exception {
        byte[] usdt = Files.readAllBytes(Fixtures.path("usdt"));
        Path cut = Files.write(dir.resolve("usdt-cut"), Arrays.copyOf(usdt, usdt.length - 1));
        Path text = Files.writeString(dir.resolve("locale-archive"), "not elf");
        ModuleCache cache = new ModuleCache();
        Optional<?>[] results = new Optional<?>[3];

        List<String> lines = stderrOf(() -> {
            results[0] = cache.elf(cut);
            results[1] = cache.elf(cut);
            results[2] = cache.elf(text);
        });

        assertThat(results).containsOnly(Optional.empty());
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains("WARN").contains("corrupt ELF file, not symbolizing it: " + cut
                + ": truncated: section header table at");
    }

    @Test
    void corruptLineTableIsOneWarningAndNoLines(@TempDir Path dir) throws Exception {
        Path original = Fixtures.path("lines");
        byte[] bytes = Files.readAllBytes(original);
        ElfFile parsed = ElfFiles.map(original);
        Section debugLine = parsed.section(".debug_line").orElseThrow();
        long main = parsed.functionsNamed("main").get(0).value();
        // The unit's length now runs past the section: the table cannot be read.
        Arrays.fill(bytes, (int) debugLine.offset(), (int) debugLine.offset() + 4, (byte) 0x7f);
        Path damaged = Files.write(dir.resolve("lines"), bytes);
        ModuleSymbols symbols = ModuleSymbols.of(ElfFiles.map(damaged), Optional.empty());
        assertThat(ModuleSymbols.of(parsed, Optional.empty()).line(main, original)).isPresent();
        Object[] results = new Object[2];

        List<String> lines = stderrOf(() -> {
            results[0] = symbols.line(main, damaged);
            results[1] = symbols.line(main, damaged);
        });

        assertThat(results).containsOnly(Optional.empty());
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains("WARN")
                .contains(damaged + ": line table unreadable, symbolizing without lines: .debug_line+0x");
    }
}
