/* HOSTILE: ignores and blocks every signal, then sleeps forever (no CPU use).
 * Must get: --wall-time 1: wall_time_limit_exceeded. */
#include <signal.h>
#include <unistd.h>
int main(void) {
    sigset_t all; sigfillset(&all); sigprocmask(SIG_BLOCK, &all, 0);
    for (int s = 1; s < 65; s++) signal(s, SIG_IGN);
    for (;;) pause();
}
