/* The talk's example program: main calls f() 10000 times (or argv[1] times). */
#include <stdio.h>
#include <stdlib.h>

int count = 0;

void f() {
    count++;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    for (int i = 0; i < n; i++) f();
    return count;
}
