/* Calls into libfixturelib.so: lib_add N times and lib_touch N/2 times. */
#include <stdio.h>
#include <stdlib.h>

long lib_add(long a, long b);
void lib_touch(void);

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000;
    long sum = 0;
    for (long i = 0; i < n; i++) {
        sum = lib_add(sum, i);
        if (i % 2 == 0) lib_touch();
    }
    printf("sum=%ld\n", sum);
    return 0;
}
