/* HOSTILE (dangerous: run only through dokeru with --pids, first in the cgroup-v2 VM):
 * a fork bomb; every process forks forever, and spins when fork fails.
 * Must get: with --pids 32 --time 2, time_limit_exceeded or wall_time_limit_exceeded (never ok),
 * dokeru returns, and nothing is left on the host. */
#include <unistd.h>
int main(void) {
    for (;;) fork();
}
