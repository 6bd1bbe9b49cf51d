/*
 * Target variables through pointers: visit() gets a struct whose members are a pointer to another struct, an
 * embedded struct and a char array; fill() writes a string into a heap buffer the caller keeps, so a return
 * probe can read it after the call; touch() gets the address of a global. Usage: members N [LINGER_MS] — N
 * rounds, then stay alive LINGER_MS so memory read after the fact is still there. Prints the sum of visit().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct inner {
    int id;
    const char *label;
};

struct outer {
    long weight;
    struct inner *in;
    struct inner embedded;
    char name[16];
};

long counter;

__attribute__((noinline)) long visit(struct outer *o, const char *tag, int k) {
    return o->weight + k + (long) strlen(tag);
}

__attribute__((noinline)) void fill(char *buf, int n) {
    snprintf(buf, (size_t) n, "filled-%d", n);
}

__attribute__((noinline)) void touch(long *p) {
    (*p)++;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10;
    long linger = argc > 2 ? atol(argv[2]) : 0;
    long sum = 0;
    for (int i = 0; i < n; i++) {
        struct inner in = {i * 3, i % 2 ? "odd" : "even"};
        struct outer o = {100 + i, &in, {-i, "emb"}, ""};
        snprintf(o.name, sizeof o.name, "outer-%d", i);
        sum += visit(&o, "tag", i);
        fill(malloc(32), 20 + i); /* kept: read by the return probe after the call */
        touch(&counter);
    }
    printf("%ld\n", sum);
    fflush(stdout);
    struct timespec ts = {linger / 1000, (linger % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return 0;
}
