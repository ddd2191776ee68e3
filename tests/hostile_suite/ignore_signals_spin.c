/* HOSTILE: ignores and blocks every signal it can, then spins.
 * Must get: --time 1: time_limit_exceeded, cpu_time_ms <= 1050. */
#include <signal.h>
int main(void) {
    sigset_t all; sigfillset(&all); sigprocmask(SIG_BLOCK, &all, 0);
    for (int s = 1; s < 65; s++) signal(s, SIG_IGN);
    volatile unsigned long x = 0;
    for (;;) x++;
}
