/* HOSTILE: 8 threads spin at once.
 * Must get: --time 1: time_limit_exceeded with 1000 <= cpu_time_ms <= 1050 (every thread
 * counted, caught promptly although 2+ CPUs burn in parallel). */
#include <pthread.h>
static void *spin(void *a) { volatile unsigned long x = 0; for (;;) x++; return a; }
int main(void) {
    pthread_t t;
    for (int i = 0; i < 7; i++) pthread_create(&t, 0, spin, 0);
    spin(0);
}
