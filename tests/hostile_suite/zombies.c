/* HOSTILE: leaves zombies: forks children that exit at once and are never reaped, until fork
 * fails (pids limit), then exits 0.
 * Must get: --pids 16: ok; no zombie or process is left on the host. */
#include <stdio.h>
#include <unistd.h>
int main(void) {
    int n = 0;
    while (n < 1000) { pid_t p = fork(); if (p == 0) _exit(0); if (p < 0) break; n++; }
    printf("zombies: %d\n", n);
    return 0;
}
