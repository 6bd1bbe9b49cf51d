/* The semaphore-guarded mark fixture:guarded; returns 1 when a tracer enabled it. */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

__extension__ unsigned short fixture_guarded_semaphore __attribute__((unused)) __attribute__((section(".probes")));

long fire_guarded(long i) {
    if (__builtin_expect(fixture_guarded_semaphore, 0)) {
        DTRACE_PROBE2(fixture, guarded, i, i * 2);
        return 1;
    }
    return 0;
}

/* fixture:globals reads two globals straight from memory, RIP-relative (gcc -O2 makes them memory operands):
 * one in .data, one in .bss. */
__extension__ unsigned short fixture_globals_semaphore __attribute__((unused)) __attribute__((section(".probes")));
volatile int data_global = 41;
volatile long bss_global;

void fire_globals(long i) {
    data_global = (int) (41 + i);
    bss_global = i * 3;
    DTRACE_PROBE2(fixture, globals, data_global, bss_global);
}
