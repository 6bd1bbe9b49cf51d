package org.fleettap.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.util.Locale;
import picocli.CommandLine;

/**
 * How the read-only commands print: aligned tables for people, or JSON for programs. The JSON is protobuf's JSON
 * mapping of the collector's answer, with the field names of the .proto files (proto/README.md: they never
 * change) and every field present; 64-bit numbers are strings, as that mapping has them.
 */
enum OutputFormat {
    TABLE, JSON, CSV;

    private static final JsonFormat.Printer PRETTY = JsonFormat.printer().preservingProtoFieldNames()
            .alwaysPrintFieldsWithNoPresence();
    private static final JsonFormat.Printer COMPACT = PRETTY.omittingInsignificantWhitespace();

    /** {@code m} as JSON, over several lines, ending with a newline. */
    static String json(MessageOrBuilder m) {
        return print(PRETTY, m) + "\n";
    }

    /** {@code m} as JSON on one line (for streams: one message per line), ending with a newline. */
    static String jsonLine(MessageOrBuilder m) {
        return print(COMPACT, m) + "\n";
    }

    private static String print(JsonFormat.Printer p, MessageOrBuilder m) {
        try {
            return p.print(m);
        } catch (InvalidProtocolBufferException e) {
            // Only for Any fields with unknown types, which the query messages do not have.
            throw new IllegalStateException("printing " + m.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** For -o options: table, json or csv. */
    static final class Converter implements CommandLine.ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            return switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "table" -> TABLE;
                case "json" -> JSON;
                case "csv" -> CSV;
                default -> throw new CommandLine.TypeConversionException("'" + value
                        + "' is not an output format (table, json or csv)");
            };
        }
    }
}
