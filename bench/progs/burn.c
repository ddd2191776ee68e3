/* Burns argv[1] ms of its own CPU time, then prints what it measured itself:
 * "clock_ms rusage_ms" (CLOCK_THREAD_CPUTIME_ID and getrusage user+sys).
 * The thread clock, not the process clock: the program has one thread, and under
 * RLIMIT_CPU (as in the sandbox) the process clock reads the group CPU timer,
 * which advances only at scheduler ticks (up to 4 ms late at HZ=250), while the
 * thread clock is exact. getrusage is tick-stale in the same way (reported only).
 * Bounded: it always ends after the requested CPU time. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    double target_ms = argc > 1 ? atof(argv[1]) : 100.0;
    volatile unsigned long sink = 0;
    while (cpu_ms() < target_ms)
        for (int i = 0; i < 1000; i++) sink += i;
    double clock_ms = cpu_ms();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double ru_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    printf("%.3f %.3f\n", clock_ms, ru_ms);
    return 0;
}
