/* HOSTILE (dangerous): a fork bomb whose every child first leaves the session and process
 * group (setsid), so that killing a process group does not reach it.
 * Must get: --pids 32 --time 1: time_limit_exceeded; nothing is left on the host. */
#include <unistd.h>
int main(void) {
    for (;;) {
        if (fork() == 0) setsid();
    }
}
