/*
 * The talk's gis_server in miniature: process_path_request parses, renders and
 * answers; tests name its source lines (*@lines.c:LINE) and its parameters.
 * Usage: lines [REQUESTS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct point {
    double lat;
    double lon;
};

struct request {
    const char *path;
    int zoom;
    struct point origin;
};

static volatile long rendered;

__attribute__((noinline)) int parse(const char *text, struct point *out, int max) {
    int n = 0;
    for (const char *p = text; *p && n < max; p++) {
        if (*p == ',') {
            out[n].lat = n;
            out[n].lon = -n;
            n++;
        }
    }
    return n;
}

__attribute__((noinline)) long render(const struct point *points, int n, int zoom) {
    long bytes = 0;
    for (int i = 0; i < n; i++) {
        bytes += (long) (points[i].lat * zoom) + 16;
    }
    rendered += bytes;
    return bytes;
}

__attribute__((noinline)) int process_path_request(const struct request *req) {
    struct point points[64];
    int n = parse(req->path, points, 64);
    if (n == 0) {
        return 400;
    }
    long bytes = render(points, n, req->zoom);
    return bytes > 0 ? 200 : 500;
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 3;
    struct request req = {"1,2,3,4,5,", 12, {52.2, 21.0}};
    int ok = 0;
    for (int i = 0; i < count; i++) {
        ok += process_path_request(&req) == 200;
    }
    printf("ok=%d\n", ok);
    return 0;
}
