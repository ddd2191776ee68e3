/* fork_many N: a bounded fork test. Forks up to N children that each sleep 3 s and exit;
 * prints "forked K failed F" where F counts failed forks (EAGAIN under --pids), then waits
 * for the children and exits 0. Bounded, so it is safe even if the limit does not work. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100, ok = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) { sleep(3); _exit(0); }
        if (p < 0) failed++; else ok++;
    }
    printf("forked %d failed %d\n", ok, failed);
    fflush(stdout);
    while (wait(NULL) > 0) {}
    return 0;
}
