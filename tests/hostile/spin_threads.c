/* HOSTILE: CPU spin, optionally with several threads.
 * spin_threads [N]: N threads (default 1) spin forever.
 * Must get: with --time 1, time_limit_exceeded and cpu_time_ms in [1000, 1050], whatever N is
 * (the limit is on the whole tree, all threads); with N=4 on >= 2 CPUs, wall_time_ms is about
 * cpu_time_ms / min(N, CPUs). */
#include <pthread.h>
#include <stdlib.h>
static void *spin(void *arg) {
    volatile unsigned long x = 0;
    (void)arg;
    for (;;) x++;
    return NULL;
}
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1;
    for (int i = 1; i < n; i++) {
        pthread_t t;
        pthread_create(&t, NULL, spin, NULL);
    }
    spin(NULL);
    return 0;
}
