/*
 * Lock contention for the talk's futex.stp (S8): three mutexes initialised by
 * pthread_mutex_init at distinct lines and one static mutex; two worker threads
 * per mutex contend on it with known hold times. Every round is contended: the holder keeps the mutex until
 * the other thread of its pair waits for it. Usage: futex [ROUNDS [FILE]]; with FILE, the mutexes' addresses are
 * written there (one "NAME ADDRESS" line each) before the threads start, for tests that name locks by address.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t static_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t locks[3];
static int rounds;
static int finished[4]; /* per mutex: how many of its two threads are done */

static void *worker(void *arg) {
    long id = (long) arg;
    for (int r = 0; r < rounds; r++) {
        pthread_mutex_t *m = id < 6 ? &locks[id % 3] : &static_lock;
        int *done = &finished[id < 6 ? id % 3 : 3];
        pthread_mutex_lock(m);
        /* glibc marks a mutex with waiters by 2: hold it until the other thread waits (or has finished) */
        while (__atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE) != 2 && __atomic_load_n(done, __ATOMIC_ACQUIRE) == 0)
            usleep(50);
        usleep(1000 + 500 * (id % 3));
        pthread_mutex_unlock(m);
    }
    __atomic_add_fetch(&finished[id < 6 ? id % 3 : 3], 1, __ATOMIC_RELEASE);
    return NULL;
}

int main(int argc, char **argv) {
    rounds = argc > 1 ? atoi(argv[1]) : 20;
    pthread_mutex_init(&locks[0], NULL);
    pthread_mutex_init(&locks[1], NULL);
    pthread_mutex_init(&locks[2], NULL);
    if (argc > 2) {
        FILE *f = fopen(argv[2], "w");
        if (f == NULL) {
            perror(argv[2]);
            return 1;
        }
        for (int i = 0; i < 3; i++) fprintf(f, "locks[%d] %p\n", i, (void *) &locks[i]);
        fprintf(f, "static_lock %p\n", (void *) &static_lock);
        fclose(f);
    }
    pthread_t t[8];
    for (long i = 0; i < 8; i++) pthread_create(&t[i], NULL, worker, (void *) i);
    for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    printf("done\n");
    return 0;
}
