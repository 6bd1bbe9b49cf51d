package org.fleettap.security;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The blocks of a PEM text ({@code -----BEGIN TYPE-----}, base64, {@code -----END TYPE-----}), decoded. A parser of
 * bytes that does no I/O, so {@link TlsDir} can name the file whose text is wrong.
 */
public final class Pem {
    private static final String BEGIN = "-----BEGIN ";
    private static final String END = "-----END ";
    private static final String DASHES = "-----";

    /** One decoded block: its type ({@code CERTIFICATE}, {@code PRIVATE KEY}) and DER bytes. */
    public record Block(String type, byte[] der) {}

    /** A text that is not PEM, or a block that does not decode. */
    public static final class PemException extends Exception {
        private static final long serialVersionUID = 1L;

        PemException(String message) {
            super(message);
        }
    }

    private Pem() {
    }

    /** Every block of {@code text}, in order; text outside blocks is ignored, as openssl does. */
    public static List<Block> parse(byte[] text) throws PemException {
        String[] lines = new String(text, StandardCharsets.US_ASCII).split("\r?\n");
        List<Block> blocks = new ArrayList<>();
        String type = null;
        StringBuilder body = null;
        int startLine = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (type == null) {
                if (line.startsWith(BEGIN) && line.endsWith(DASHES) && line.length() > BEGIN.length() + DASHES.length()) {
                    type = line.substring(BEGIN.length(), line.length() - DASHES.length());
                    body = new StringBuilder();
                    startLine = i + 1;
                }
            } else if (line.startsWith(END)) {
                if (!line.equals(END + type + DASHES)) {
                    throw new PemException("line " + (i + 1) + ": '" + line + "' does not end the " + type
                            + " block of line " + startLine);
                }
                try {
                    blocks.add(new Block(type, Base64.getDecoder().decode(body.toString())));
                } catch (IllegalArgumentException e) {
                    throw new PemException("the " + type + " block of line " + startLine + " is not base64");
                }
                type = null;
            } else {
                body.append(line);
            }
        }
        if (type != null) {
            throw new PemException("the " + type + " block of line " + startLine + " has no END line");
        }
        return blocks;
    }

    /** {@code der} as a PEM block of {@code type}, 64 characters a line. */
    public static String encode(String type, byte[] der) {
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return BEGIN + type + DASHES + "\n" + b64 + "\n" + END + type + DASHES + "\n";
    }
}
