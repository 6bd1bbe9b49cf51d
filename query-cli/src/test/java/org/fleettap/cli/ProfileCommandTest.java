package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.cli.Rows.i;
import static org.fleettap.cli.Rows.row;
import static org.fleettap.cli.Rows.s;
import static org.fleettap.cli.Rows.stats;

import java.util.List;
import org.fleettap.proto.v1.AggregateRow;
import org.junit.jupiter.api.Test;

class ProfileCommandTest {
    /** on_cpu[tid, process, task, cpu]: host a has 2 CPUs, host b 4 (only CPU 3 sampled for its one thread). */
    private static final List<AggregateRow> ROWS = List.of(
            sample("a", 10, "db", "worker, 1", 0, 1),
            sample("a", 10, "db", "worker, 1", 1, 199),
            sample("a", 7, "sh", "sh", 0, 50),
            sample("a", 5, "cron", "cron", 1, 1),
            sample("b", 3, "web", "web", 3, 8));

    private static AggregateRow sample(String host, long tid, String process, String task, long cpu, long n) {
        return row(host, List.of(i(tid), s(process), s(task), i(cpu)), stats(n, n, 1, 1, 1, 1, 1, 1));
    }

    @Test
    void eachHostsBusiestThreadsWithTheirShareOnEachCpu() {
        assertThat(ProfileCommand.render(ROWS, 2)).isEqualTo(""
                + "a: 251 samples of 3 threads on 2 CPUs, top 2\n"
                + "TID  PROCESS  TASK       SAMPLES    CPU0   CPU1\n"
                + " 10  db       worker, 1      200    0.5%  99.5%\n"
                + "  7  sh       sh              50  100.0%   0.0%\n"
                + "b: 8 samples of 1 threads on 4 CPUs\n"
                + "TID  PROCESS  TASK  SAMPLES  CPU0  CPU1  CPU2    CPU3\n"
                + "  3  web      web         8  0.0%  0.0%  0.0%  100.0%\n");
    }

    @Test
    void csvHasARowPerThreadAndCpuOfItsHost() {
        assertThat(ProfileCommand.csv(ROWS, 2)).isEqualTo(""
                + "HOST,TID,PROCESS,TASK,CPU,SAMPLES\r\n"
                + "a,10,db,\"worker, 1\",0,1\r\n"
                + "a,10,db,\"worker, 1\",1,199\r\n"
                + "a,7,sh,sh,0,50\r\n"
                + "a,7,sh,sh,1,0\r\n"
                + "b,3,web,web,0,0\r\n"
                + "b,3,web,web,1,0\r\n"
                + "b,3,web,web,2,0\r\n"
                + "b,3,web,web,3,8\r\n");
    }
}
