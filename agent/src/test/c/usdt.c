/*
 * USDT marks: fixture:tick with a register, a constant and a memory argument
 * on every iteration, fixture:done once, and the semaphore-guarded
 * fixture:guarded and fixture:globals (usdt_guarded.c). Prints how many iterations saw the
 * guarded mark enabled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/sdt.h>

int global_value = -7;
long fire_guarded(long i);
void fire_globals(long i);

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100;
    long pause_us = argc > 2 ? atol(argv[2]) : 0;
    long enabled = 0;
    for (long i = 0; i < n; i++) {
        global_value = (int) -i;
        DTRACE_PROBE3(fixture, tick, i, 5, global_value);
        enabled += fire_guarded(i);
        fire_globals(i);
        if (pause_us) usleep(pause_us);
    }
    DTRACE_PROBE1(fixture, done, n);
    printf("guarded_enabled=%ld\n", enabled);
    return 0;
}
