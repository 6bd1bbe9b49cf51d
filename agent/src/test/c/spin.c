/* Burns CPU on every CPU for argv[1] milliseconds (one thread per CPU). */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long ms;
volatile unsigned long spins;

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *burn(void *arg) {
    (void) arg;
    long end = now_ms() + ms;
    while (now_ms() < end) spins++;
    return NULL;
}

int main(int argc, char **argv) {
    ms = argc > 1 ? atol(argv[1]) : 500;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    pthread_t tids[256];
    for (long t = 0; t < n && t < 256; t++) pthread_create(&tids[t], NULL, burn, NULL);
    for (long t = 0; t < n && t < 256; t++) pthread_join(tids[t], NULL);
    return 0;
}
