package org.fleettap.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PEM blocks from bytes: what openssl writes and reads, and one-line errors for what it would not read. */
class PemTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void blocksInOrderWithTextAroundThemIgnored() throws Exception {
        byte[] a = {1, 2, 3};
        byte[] b = new byte[100];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) i;
        }
        String text = "Bag Attributes: as openssl pkcs12 writes them\n" + Pem.encode("CERTIFICATE", a)
                + "\r\n" + Pem.encode("PRIVATE KEY", b).replace("\n", "\r\n");
        List<Pem.Block> blocks = Pem.parse(bytes(text));
        assertThat(blocks).extracting(Pem.Block::type).containsExactly("CERTIFICATE", "PRIVATE KEY");
        assertThat(blocks.get(0).der()).isEqualTo(a);
        assertThat(blocks.get(1).der()).isEqualTo(b);
    }

    @Test
    void encodesSixtyFourCharactersALine() {
        byte[] der = new byte[60];
        String pem = Pem.encode("CERTIFICATE", der);
        String b64 = Base64.getEncoder().encodeToString(der);
        assertThat(pem).isEqualTo("-----BEGIN CERTIFICATE-----\n" + b64.substring(0, 64) + "\n" + b64.substring(64)
                + "\n-----END CERTIFICATE-----\n");
    }

    @Test
    void brokenBlocksAreOneLineSayingWhere() throws Exception {
        assertThatThrownBy(() -> Pem.parse(bytes("-----BEGIN CERTIFICATE-----\nAQID\n")))
                .hasMessage("the CERTIFICATE block of line 1 has no END line");
        assertThatThrownBy(() -> Pem.parse(bytes("x\n-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n")))
                .hasMessage("line 4: '-----END PRIVATE KEY-----' does not end the CERTIFICATE block of line 2");
        assertThatThrownBy(() -> Pem.parse(bytes("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n")))
                .hasMessage("the CERTIFICATE block of line 1 is not base64");
        assertThat(Pem.parse(bytes("no PEM here\n"))).isEmpty();
    }
}
