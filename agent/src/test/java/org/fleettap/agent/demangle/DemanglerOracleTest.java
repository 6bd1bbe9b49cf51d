package org.fleettap.agent.demangle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.ElfSymbol;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every symbol (.symtab and .dynsym, deduplicated, as the ELF reader names them: dynamic ones with their
 * {@code @VERSION}) of the C++ fixtures and of libstdc++ against one batch of GNU c++filt (and one of
 * {@code c++filt -p}): all must be identical.
 */
final class DemanglerOracleTest {
    static final Path LIBSTDCXX = Paths.get("/usr/lib/x86_64-linux-gnu/libstdc++.so.6");

    static Stream<Path> binaries() {
        return Stream.of(Fixtures.path("state"), Fixtures.path("state-O2"), Fixtures.path("state-nofp"), LIBSTDCXX);
    }

    /** The distinct symbol names of {@code binary}, in table order. */
    static List<String> symbolNames(Path binary) throws Exception {
        Set<String> names = new LinkedHashSet<>();
        for (ElfSymbol s : ElfFiles.map(binary).symbols()) {
            if (!s.name().isEmpty()) {
                names.add(s.name());
            }
        }
        return List.copyOf(names);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("binaries")
    void demangleAgreesWithCxxfiltOnEverySymbol(Path binary) throws Exception {
        assertAgreement(binary, Demangler::demangle);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("binaries")
    void functionNameAgreesWithCxxfiltNoParamsOnEverySymbol(Path binary) throws Exception {
        assertAgreement(binary, Demangler::functionName, "-p");
    }

    private static void assertAgreement(Path binary, Function<String, Optional<String>> demangler,
            String... options) throws Exception {
        List<String> names = symbolNames(binary);
        // One name per line; c++filt splits a line into words itself (name@VERSION: the name, '@', the version).
        assertThat(names).noneMatch(name -> name.contains("\n"));
        List<String> expected = CxxFilt.demangle(names, options);

        List<String> mismatches = new ArrayList<>();
        int demangled = 0;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            Optional<String> result = demangler.apply(name);
            String actual = result.orElse(name);
            if (result.isPresent()) {
                demangled++;
            }
            if (!actual.equals(expected.get(i))) {
                mismatches.add(name + "\n    c++filt:  " + expected.get(i) + "\n    fleettap: " + actual);
            }
        }

        assertThat(mismatches).as("%d of %d symbols of %s differ from c++filt %s", mismatches.size(), names.size(),
                binary, String.join(" ", options)).isEmpty();
        assertThat(demangled).as("mangled symbols in %s", binary).isPositive();
    }
}
