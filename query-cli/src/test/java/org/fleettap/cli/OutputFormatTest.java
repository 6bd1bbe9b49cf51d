package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.cli.Rows.i;
import static org.fleettap.cli.Rows.row;
import static org.fleettap.cli.Rows.s;
import static org.fleettap.cli.Rows.stats;

import java.util.List;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AggregateWindow;
import org.fleettap.proto.v1.HostLosses;
import org.fleettap.proto.v1.LossCounters;
import org.junit.jupiter.api.Test;

/** -o json: protobuf's JSON mapping with the .proto field names, every field present. */
class OutputFormatTest {

    @Test
    void aQueryAnswerWithTheProtoFieldNamesAndZeroesPresent() {
        AggregateQueryResponse r = AggregateQueryResponse.newBuilder()
                .addRows(row("db1", List.of(s("x"), i(2)), stats(3, 6, 0, 3, 2, 2, 3, 3))).setTotalRows(1)
                .setFromUnixNanos(1_000_000_000L).setToUnixNanos(2_000_000_000L)
                .addLosses(HostLosses.newBuilder().setHostId("db1")
                        .setLosses(LossCounters.newBuilder().setRecordsLost(5)))
                .build();
        assertThat(OutputFormat.json(r)).isEqualTo("""
                {
                  "rows": [{
                    "host_id": "db1",
                    "key": [{
                      "string_value": "x"
                    }, {
                      "int_value": "2"
                    }],
                    "stats": {
                      "count": "3",
                      "sum": "6",
                      "min": "0",
                      "max": "3",
                      "avg": "2",
                      "p50": "2",
                      "p90": "3",
                      "p99": "3"
                    }
                  }],
                  "total_rows": "1",
                  "from_unix_nanos": "1000000000",
                  "to_unix_nanos": "2000000000",
                  "losses": [{
                    "host_id": "db1",
                    "losses": {
                      "records_lost": "5",
                      "events_dropped": "0"
                    },
                    "spool_dropped_batches": "0",
                    "missing_batches": "0"
                  }]
                }
                """);
    }

    @Test
    void aWindowOnOneLine() {
        AggregateWindow w = AggregateWindow.newBuilder().setWindowStartUnixNanos(1).setWindowEndUnixNanos(2)
                .addRows(row("h", List.of(), stats(1, 1, 1, 1, 1, 1, 1, 1))).build();
        assertThat(OutputFormat.jsonLine(w)).isEqualTo("{\"window_start_unix_nanos\":\"1\","
                + "\"window_end_unix_nanos\":\"2\",\"rows\":[{\"host_id\":\"h\",\"key\":[],\"stats\":{\"count\":\"1\","
                + "\"sum\":\"1\",\"min\":\"1\",\"max\":\"1\",\"avg\":\"1\",\"p50\":\"1\",\"p90\":\"1\",\"p99\":\"1\"}}],"
                + "\"losses\":[]}\n");
    }
}
