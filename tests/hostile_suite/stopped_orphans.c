/* HOSTILE: forks 4 children that stop themselves (SIGSTOP), and a grandchild that blocks every
 * signal and sleeps; the main process exits 0 at once.
 * Must get: ok quickly; the stopped and sleeping leftovers are killed (nothing remains). */
#include <signal.h>
#include <unistd.h>
int main(void) {
    for (int i = 0; i < 4; i++) if (fork() == 0) { raise(SIGSTOP); _exit(0); }
    if (fork() == 0) {
        sigset_t all; sigfillset(&all); sigprocmask(SIG_BLOCK, &all, 0);
        for (int s = 1; s < 65; s++) signal(s, SIG_IGN);
        if (fork() == 0) { setsid(); for (;;) pause(); }
        _exit(0);
    }
    usleep(100000);
    return 0;
}
