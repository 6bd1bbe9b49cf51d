/*
 * For attaching to a running process (-x PID): starts PRE threads, prints
 * "ready", waits for a line on stdin, then main, the PRE threads and POST new
 * threads each call f() N times. Usage: waitloop N PRE POST.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long n;
static int go;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
volatile long calls;

__attribute__((noinline)) void f(void) {
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg) {
    int wait = arg != NULL;
    if (wait) {
        pthread_mutex_lock(&lock);
        while (!go) pthread_cond_wait(&cond, &lock);
        pthread_mutex_unlock(&lock);
    }
    for (long i = 0; i < n; i++) f();
    return NULL;
}

int main(int argc, char **argv) {
    n = argc > 1 ? atol(argv[1]) : 1000;
    int pre = argc > 2 ? atoi(argv[2]) : 1;
    int post = argc > 3 ? atoi(argv[3]) : 1;
    pthread_t tids[128];
    int k = 0;
    for (int i = 0; i < pre && k < 128; i++) pthread_create(&tids[k++], NULL, worker, (void *) 1);
    printf("ready\n");
    fflush(stdout);
    char buf[16];
    if (!fgets(buf, sizeof buf, stdin)) return 2;
    pthread_mutex_lock(&lock);
    go = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    worker(NULL);
    for (int i = 0; i < post && k < 128; i++) {
        int err = pthread_create(&tids[k++], NULL, worker, NULL);
        if (err) {
            fprintf(stderr, "pthread_create: error %d\n", err);
            return 3;
        }
    }
    for (int i = 0; i < k; i++) pthread_join(tids[i], NULL);
    printf("calls=%ld\n", calls);
    return 0;
}
