/* A shared library whose functions the uselib fixture calls. */
long lib_add(long a, long b) {
    return a + b;
}

long lib_calls = 0;

void lib_touch(void) {
    lib_calls++;
}
