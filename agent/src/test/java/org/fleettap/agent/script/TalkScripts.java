package org.fleettap.agent.script;

import java.util.List;

/** The talk's scripts (DESIGN.md S1-S9), written out in full where the slides cut them off; shared by the tests. */
final class TalkScripts {

    private TalkScripts() {
    }

    record Example(String id, String file, String text) {
        Source source() {
            return new Source(file, text);
        }

        @Override
        public String toString() {
            return id + " " + file;
        }
    }

    static final Example S1 = new Example("S1", "loop.stp", """
            global i

            probe process("loop").function("f") {i++}

            probe process("loop").function("main").return {
              printf("%d vs %d\\n", i, $return);
              delete i;
            }
            """);

    static final Example S2 = new Example("S2", "time.stp", """
            global last_timestamp;

            probe process("gis_server").function("process_path_request") {
                last_timestamp = gettimeofday_us();
            }

            probe process("gis_server").statement("*@gis_server.cpp:72") {
                d = gettimeofday_us() - last_timestamp;
                last_timestamp = gettimeofday_us();
                printf("1: %d\\n", d);
            }

            probe process("gis_server").statement("*@gis_server.cpp:86") {
                d = gettimeofday_us() - last_timestamp;
                last_timestamp = gettimeofday_us();
                printf("2: %d\\n", d);
            }

            probe process("gis_server").function("process_path_request").return {
                d = gettimeofday_us() - last_timestamp;
                last_timestamp = gettimeofday_us();
                printf("3: %d\\n", d);
            }
            """);

    static final Example S3 = new Example("S3", "fntimes.stp", """
            global times
            global mincount = 100      # training data for 100 samples
            global note_percent = 250  # report above 250% change

            function check(t) {
               if (@count(times[ppfunc()]) >= mincount &&
                   t >= @max(times[ppfunc()]) * note_percent / 100)
                 printf("function %s well over max time (%d vs %d)\\n",
                        ppfunc(), t, @max(times[ppfunc()]))

               times[ppfunc()] <<< t
            }

            probe process("gis_server").function("*@gis_server.cpp").return {
               check(gettimeofday_us() - @entry(gettimeofday_us()))
            }
            """);

    static final Example S4 = new Example("S4", "ls_call_graph.stp", """
            probe process("ls").function("*").call {
                printf("%s -> %s\\n", thread_indent(1), probefunc())
            }

            probe process("ls").function("*").return {
                printf("%s <- %s\\n", thread_indent(-1), probefunc())
            }
            """);

    static final Example S5 = new Example("S5", "state.stp", """
            probe process("man_state").function("ManProcessor::setState") {
                printf("| %s\\n", usymname(ustack(1)));
            }
            """);

    static final Example S6 = new Example("S6", "input.stp", """
            probe process("man_state").function("*State::process") {
                printf(". %s\\n", user_string($line));
            }
            """);

    static final Example S7 = new Example("S7", "proc_cpu4_thread.stp", """
            global cores, core0, core1, core2, core3, names, tasks

            function percent:string(n:long, total:long) {
              if (total == 0)
                return "0.0%"
              return sprintf("%d.%02d%%", n * 100 / total, (n * 10000 / total) % 100)
            }

            probe timer.profile {
              tid = tid();
              tasks[tid] = execname();
              names[tid] = pid2execname(pid());
              cores[tid]++;

              if (cpu() == 0) core0[tid]++;
              if (cpu() == 1) core1[tid]++;
              if (cpu() == 2) core2[tid]++;
              if (cpu() == 3) core3[tid]++;
            }

            probe end {
              printf("\\n %5s %20s %20s %8s %8s %8s %8s\\n", "TID", "process",
                     "task", "core0", "core1", "core2", "core3")

              foreach(t in names) {
                sum = cores[t]
                printf(" %5d %20s %20s, %8s %8s %8s %8s\\n", t, names[t], tasks[t],
                  percent(core0[t], sum), percent(core1[t], sum),
                  percent(core2[t], sum), percent(core3[t], sum))
              }
            }
            """);

    static final Example S8 = new Example("S8", "futex.stp", """
            global lock_names, lock_waits

            probe process("/usr/lib64/libc.so.6").function("pthread_mutex_init").return {
                uaddr = &$mutex->__data->__lock
                lock_names[uaddr] = usymfileline(ustack(1));
            }

            probe syscall.futex.return {
              if (target() != pid()) next;
              elapsed = gettimeofday_us() - @entry(gettimeofday_us())
              lock_waits[$uaddr]  <<< elapsed
            }

            probe end {
              foreach (lock in lock_names) {
                if (!(lock in lock_waits)) continue
                printf ("%s[%x] lock contended %d times, %d avg us\\n",
                        lock_names[lock], lock, @count(lock_waits[lock]),
                        @avg(lock_waits[lock]))
                print(@hist_log(lock_waits[lock]))
              }
            }
            """);

    /** Guru mode: refused. */
    static final Example S9 = new Example("S9", "sys_write.stp", """
            function test:long(addr:long) %{
              char buffer[100];
              long a = strncpy_from_user(buffer, (char*)STAP_ARG_addr, 100);
              char *substr = strnstr(buffer, "stap sucks", 100);
              if (substr != NULL) {
                long b = copy_to_user(
                   ((char*)STAP_ARG_addr)+(substr+5-&buffer[0]),"rocks", 5);
              }
            %}

            probe syscall.write {
              if (isinstr(user_string($buf), "stap sucks")) {
                test($buf)
              }
            }
            """);

    static final List<Example> ACCEPTED = List.of(S1, S2, S3, S4, S5, S6, S7, S8);
}
