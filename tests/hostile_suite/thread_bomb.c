/* HOSTILE (dangerous): creates threads forever; each spins. Threads count as tasks.
 * Must get: --pids 32 --time 1: time_limit_exceeded, cpu_time_ms below 1050 (all threads
 * counted); nothing is left on the host. */
#include <pthread.h>
#include <unistd.h>
static void *spin(void *a) { volatile unsigned long x = 0; for (;;) x++; return a; }
int main(void) {
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 64 * 1024);
    for (;;) { pthread_t t; pthread_create(&t, &at, spin, 0); }
}
