package org.fleettap.cli;

import java.util.List;
import org.fleettap.proto.v1.KeyPart;

/** A statistic's key as stap prints a map index: numbers in decimal, strings in double quotes, comma-separated. */
final class Keys {
    private Keys() {
    }

    static String format(List<KeyPart> key) {
        StringBuilder sb = new StringBuilder();
        for (KeyPart k : key) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            switch (k.getValueCase()) {
                case INT_VALUE -> sb.append(k.getIntValue());
                case STRING_VALUE -> sb.append('"').append(k.getStringValue()).append('"');
                // A newer collector's kind of key part (proto/README.md: unknown is unspecified).
                case VALUE_NOT_SET -> sb.append('?');
            }
        }
        return sb.toString();
    }
}
