package org.fleettap.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DropLedgerTest {
    private static final SessionKey A = new SessionKey("host-a", "s1");
    private static final SessionKey B = new SessionKey("host-ä", "s2");

    @TempDir
    Path dir;

    @Test
    void countsSurviveAReload() throws IOException {
        DropLedger ledger = DropLedger.load(dir);
        ledger.add(A, 3);
        ledger.add(B, 1);
        ledger.add(A, 2);
        ledger.subtract(B, 1);
        ledger.persist();
        DropLedger again = DropLedger.load(dir);
        assertThat(again.snapshot()).containsExactly(Map.entry(A, 5L));
        assertThat(again.total()).isEqualTo(5);
    }

    @Test
    void nothingPendingLeavesNoFile() throws IOException {
        DropLedger ledger = DropLedger.load(dir);
        ledger.add(A, 1);
        ledger.persist();
        assertThat(dir.resolve(DropLedger.FILE_NAME)).exists();
        ledger.subtract(A, 1);
        ledger.persist();
        assertThat(dir.resolve(DropLedger.FILE_NAME)).doesNotExist();
    }

    @Test
    void aDamagedFileReadsAsEmpty() throws IOException {
        Map<SessionKey, Long> counts = new LinkedHashMap<>();
        counts.put(A, 7L);
        byte[] bytes = DropLedger.encode(counts);
        bytes[bytes.length / 2] ^= 1;
        Files.write(dir.resolve(DropLedger.FILE_NAME), bytes);
        assertThatThrownBy(() -> DropLedger.decode(bytes)).isInstanceOf(IOException.class).hasMessageContaining("checksum");
        assertThat(DropLedger.load(dir).total()).isZero();
    }

    @Test
    void takingMoreThanIsPendingIsABug() throws IOException {
        DropLedger ledger = DropLedger.load(dir);
        ledger.add(A, 1);
        assertThatThrownBy(() -> ledger.subtract(A, 2)).isInstanceOf(IllegalStateException.class);
    }
}
