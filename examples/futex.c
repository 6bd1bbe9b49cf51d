/*
 * Lock contention for the talk's futex.stp (S8): three mutexes initialised by
 * pthread_mutex_init at distinct lines and one static mutex; two worker threads
 * per mutex contend on it with known hold times. Usage: futex [ROUNDS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t static_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t locks[3];
static int rounds;

static void *worker(void *arg) {
    long id = (long) arg;
    for (int r = 0; r < rounds; r++) {
        pthread_mutex_t *m = id < 6 ? &locks[id % 3] : &static_lock;
        pthread_mutex_lock(m);
        usleep(1000 + 500 * (id % 3));
        pthread_mutex_unlock(m);
    }
    return NULL;
}

int main(int argc, char **argv) {
    rounds = argc > 1 ? atoi(argv[1]) : 20;
    pthread_mutex_init(&locks[0], NULL);
    pthread_mutex_init(&locks[1], NULL);
    pthread_mutex_init(&locks[2], NULL);
    pthread_t t[8];
    for (long i = 0; i < 8; i++) pthread_create(&t[i], NULL, worker, (void *) i);
    for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    printf("done\n");
    return 0;
}
