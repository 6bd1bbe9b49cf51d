/*
 * A multi-threaded program: THREADS threads each call work() CALLS times and
 * take a shared mutex around a short sleep every 100 calls, so threads wait on
 * futexes. Thread t runs on CPU t % CPUs, so the waits happen on every CPU however busy the machine is.
 * Prints the mutex address as "mutex=0x...".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static long calls;
volatile long sink;

__attribute__((noinline)) void work(long i) {
    sink += i;
}

static void *run(void *arg) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int) ((long) arg % (cpus > 0 ? cpus : 1)), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    for (long i = 0; i < calls; i++) {
        work(i);
        if (i % 100 == 0) {
            pthread_mutex_lock(&shared_lock);
            usleep(200);
            pthread_mutex_unlock(&shared_lock);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    calls = argc > 2 ? atol(argv[2]) : 1000;
    printf("mutex=%p\n", (void *) &shared_lock);
    fflush(stdout);
    pthread_t tids[64];
    for (int t = 0; t < threads && t < 64; t++) pthread_create(&tids[t], NULL, run, (void *) (long) t);
    for (int t = 0; t < threads && t < 64; t++) pthread_join(tids[t], NULL);
    return 0;
}
