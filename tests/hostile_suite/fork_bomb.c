/* HOSTILE (dangerous): a fork bomb; every process forks forever and spins when fork fails.
 * Must get: --pids 32 --time 1: time_limit_exceeded; the pids cap holds (no more than 32
 * tasks), dokeru returns, nothing is left on the host. */
#include <unistd.h>
int main(void) { for (;;) fork(); }
