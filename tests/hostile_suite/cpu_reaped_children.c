/* HOSTILE: hides CPU time in children: forks N (argv[1], default 5) children one after another,
 * each spins 300 ms of CPU time and exits; every child is reaped before the parent exits 0.
 * Must get: without a time limit, ok with cpu_time_ms >= 0.9 * N * 300 (reaped children are
 * counted); with --time 1 and N=5, time_limit_exceeded. */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 5;
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) { volatile unsigned long x = 0; while (cpu() < 0.3) x++; _exit(0); }
        waitpid(p, 0, 0);
    }
    return 0;
}
