package org.fleettap.agent.dwarf;

import java.nio.file.Path;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.testing.Fixtures;

/** Opening fixtures' debug information for the tests of this package. */
final class DebugInfos {
    private DebugInfos() {
    }

    static DwarfSections sections(Path path) {
        try {
            return new DwarfSections(ElfFiles.map(path));
        } catch (Exception e) {
            throw new IllegalStateException("cannot open " + path, e);
        }
    }

    static DebugInfo of(Path path) {
        return DebugInfo.of(sections(path));
    }

    static DebugInfo fixture(String name) {
        return of(Fixtures.path(name));
    }
}
