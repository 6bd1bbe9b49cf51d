package org.fleettap.proto.v1;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Holds the compatibility rules of proto/README.md against the generated descriptors: every field,
 * enum value and rpc in {@code wire-contract.txt} must still exist with the same number, type and
 * shape, or (fields and enum values) have its number and name reserved; everything in the schema
 * must be in that file; enums start with an {@code _UNSPECIFIED} zero.
 */
final class WireContractTest {
    private static final String LOCK = "/wire-contract.txt";
    private static final Path CURRENT = Path.of("target", "wire-contract-current.txt");

    private static final List<FileDescriptor> FILES = List.of(
            AggregateProto.getDescriptor(), SessionProto.getDescriptor(), AgentProto.getDescriptor(),
            IngestProto.getDescriptor(), QueryProto.getDescriptor(), AdminProto.getDescriptor());

    @Test
    void nothingInTheContractWasRenumberedChangedOrRemovedWithoutReserving() throws IOException {
        Set<String> current = currentContract();
        Set<String> locked = lockedContract();

        List<String> broken = new ArrayList<>();
        for (String line : locked) {
            if (!current.contains(line) && !reserved(line)) {
                broken.add(line);
            }
        }
        assertThat(broken)
                .as("changed or removed without reserving its number and name (see proto/README.md)")
                .isEmpty();
    }

    @Test
    void everythingInTheSchemaIsInTheContract() throws IOException {
        Set<String> added = currentContract();
        added.removeAll(lockedContract());

        assertThat(added)
                .as("new in the schema: append these lines to proto/src/test/resources%s"
                        + " (the whole listing is in proto/%s)", LOCK, CURRENT)
                .isEmpty();
    }

    @Test
    void everyEnumStartsWithUnspecifiedZero() {
        List<String> wrong = new ArrayList<>();
        for (FileDescriptor f : FILES) {
            for (EnumDescriptor e : allEnums(f)) {
                String prefix = screamingSnake(e.getName()) + "_";
                EnumValueDescriptor zero = e.findValueByNumber(0);
                if (zero == null || !zero.getName().equals(prefix + "UNSPECIFIED")) {
                    wrong.add(e.getFullName() + ": zero must be " + prefix + "UNSPECIFIED");
                }
                for (EnumValueDescriptor v : e.getValues()) {
                    if (!v.getName().startsWith(prefix)) {
                        wrong.add(v.getFullName() + ": must start with " + prefix);
                    }
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void theContractListsFieldsByNumberAndType() throws IOException {
        Set<String> current = currentContract();

        assertThat(current)
                .contains("field fleettap.v1.Batch.sequence = 3 singular uint64")
                .contains("field fleettap.v1.Aggregate.min = 3 optional sint64")
                .contains("field fleettap.v1.KeyPart.string_value = 2 oneof:value string")
                .contains("field fleettap.v1.Batch.aggregates = 6 repeated fleettap.v1.AggregateDelta")
                .contains("enum fleettap.v1.AckStatus.ACK_STATUS_REJECTED = 3")
                .contains("rpc fleettap.v1.IngestService.Ingest stream fleettap.v1.Batch -> stream fleettap.v1.Ack");
    }

    private static Set<String> lockedContract() throws IOException {
        try (InputStream in = WireContractTest.class.getResourceAsStream(LOCK)) {
            assertThat(in).as("test resource %s", LOCK).isNotNull();
            Set<String> lines = new LinkedHashSet<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    lines.add(line.strip());
                }
            }
            return lines;
        }
    }

    /** The schema as lines, one per field, enum value and rpc; also written to target/. */
    private static Set<String> currentContract() throws IOException {
        Set<String> lines = new LinkedHashSet<>();
        for (FileDescriptor f : FILES) {
            for (Descriptor m : allMessages(f)) {
                for (FieldDescriptor field : m.getFields()) {
                    lines.add("field " + field.getFullName() + " = " + field.getNumber() + " " + shape(field)
                            + " " + type(field));
                }
            }
            for (EnumDescriptor e : allEnums(f)) {
                for (EnumValueDescriptor v : e.getValues()) {
                    lines.add("enum " + e.getFullName() + "." + v.getName() + " = " + v.getNumber());
                }
            }
            for (ServiceDescriptor s : f.getServices()) {
                for (MethodDescriptor rpc : s.getMethods()) {
                    lines.add("rpc " + rpc.getFullName() + " "
                            + (rpc.isClientStreaming() ? "stream " : "") + rpc.getInputType().getFullName() + " -> "
                            + (rpc.isServerStreaming() ? "stream " : "") + rpc.getOutputType().getFullName());
                }
            }
        }
        Files.createDirectories(CURRENT.getParent());
        Files.writeString(CURRENT, String.join("\n", lines) + "\n");
        return lines;
    }

    /** True if a field or enum value line names a number and name its message or enum reserves. */
    private static boolean reserved(String line) {
        String[] words = line.split(" ");
        if (words.length < 4 || !words[2].equals("=")) {
            return false;
        }
        String fullName = words[1];
        int number = Integer.parseInt(words[3]);
        String parent = fullName.substring(0, fullName.lastIndexOf('.'));
        String name = fullName.substring(fullName.lastIndexOf('.') + 1);
        for (FileDescriptor f : FILES) {
            if (words[0].equals("field")) {
                for (Descriptor m : allMessages(f)) {
                    if (m.getFullName().equals(parent)) {
                        DescriptorProto p = m.toProto();
                        return p.getReservedNameList().contains(name) && p.getReservedRangeList().stream()
                                .anyMatch(r -> r.getStart() <= number && number < r.getEnd());
                    }
                }
            } else if (words[0].equals("enum")) {
                for (EnumDescriptor e : allEnums(f)) {
                    if (e.getFullName().equals(parent)) {
                        EnumDescriptorProto p = e.toProto();
                        return p.getReservedNameList().contains(name) && p.getReservedRangeList().stream()
                                .anyMatch(r -> r.getStart() <= number && number <= r.getEnd());
                    }
                }
            }
        }
        return false;
    }

    private static String shape(FieldDescriptor f) {
        if (f.isRepeated()) {
            return "repeated";
        }
        if (f.toProto().getProto3Optional()) {
            return "optional";
        }
        if (f.getRealContainingOneof() != null) {
            return "oneof:" + f.getRealContainingOneof().getName();
        }
        return "singular";
    }

    private static String type(FieldDescriptor f) {
        return switch (f.getType()) {
            case MESSAGE -> f.getMessageType().getFullName();
            case ENUM -> f.getEnumType().getFullName();
            default -> f.getType().name().toLowerCase(Locale.ROOT);
        };
    }

    private static List<Descriptor> allMessages(FileDescriptor f) {
        List<Descriptor> all = new ArrayList<>();
        for (Descriptor m : f.getMessageTypes()) {
            addWithNested(m, all);
        }
        return all;
    }

    private static void addWithNested(Descriptor m, List<Descriptor> all) {
        all.add(m);
        for (Descriptor n : m.getNestedTypes()) {
            addWithNested(n, all);
        }
    }

    private static List<EnumDescriptor> allEnums(FileDescriptor f) {
        List<EnumDescriptor> all = new ArrayList<>(f.getEnumTypes());
        for (Descriptor m : allMessages(f)) {
            all.addAll(m.getEnumTypes());
        }
        return all;
    }

    private static String screamingSnake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }
}
