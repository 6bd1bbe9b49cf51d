package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TimesTest {
    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    private static final long NOW_NANOS = 1_714_564_800_000_000_000L;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "2024-05-01T12:00:00Z          | 1714564800000000000",
        "2024-05-01t12:00:00z          | 1714564800000000000",
        "2024-05-01 12:00:00Z          | 1714564800000000000",
        "2024-05-01T14:00:00+02:00     | 1714564800000000000",
        "2024-05-01T12:00:00.123456789Z| 1714564800123456789",
        "2024-05-01T11:59:59.5-00:00   | 1714564799500000000",
    })
    void readsRfc3339(String text, long nanos) {
        assertThat(Times.parse(text, NOW)).isEqualTo(nanos);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "now    | 0",
        "-500ms | 500000000",
        "-90s   | 90000000000",
        "-5m    | 300000000000",
        "-2h    | 7200000000000",
        "-1d    | 86400000000000",
    })
    void readsTimesRelativeToNow(String text, long before) {
        assertThat(Times.parse(text, NOW)).isEqualTo(NOW_NANOS - before);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yesterday", "5m", "+5m", "-5", "-5w", "2024-05-01", "2024-05-01T12:00:00",
        "-999999999d", "1969-12-31T23:59:59Z"})
    void rejectsWhatIsNotATimeInOneLine(String text) {
        assertThatThrownBy(() -> Times.parse(text, NOW)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + text + "' is not a time (expected RFC 3339, e.g. 2024-05-01T12:00:00Z, or "
                        + "relative to now, e.g. -5m, -2h)");
    }

    @Test
    void printsUtcToTheSecondOrMillisecond() {
        assertThat(Times.format(1_714_564_800_999_000_000L)).isEqualTo("2024-05-01T12:00:00Z");
        assertThat(Times.format(0)).isEqualTo("-");
        assertThat(Times.formatMillis(1_714_564_800_250_999_999L)).isEqualTo("2024-05-01T12:00:00.250Z");
        assertThat(Times.formatMillis(1_714_564_801_000_000_000L)).isEqualTo("2024-05-01T12:00:01Z");
    }
}
