/* HOSTILE (dangerous): double-fork bomb: each child forks a grandchild and exits at once,
 * so the bomb is made of orphans re-parented to the sandbox's init; the main process keeps
 * forking, then spins.
 * Must get: --pids 32 --time 1: time_limit_exceeded; nothing is left on the host. */
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    for (;;) {
        pid_t p = fork();
        if (p == 0) {
            if (fork() == 0) {
                for (;;) fork();
            }
            _exit(0);
        }
        if (p > 0) waitpid(p, 0, 0);
    }
}
