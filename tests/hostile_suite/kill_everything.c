/* HOSTILE: kill(-1, SIGKILL), then SIGKILL to every pid 1..65535 except itself, and to the
 * host pid given as argv[1] (the test's canary process), also via its process group.
 * Prints "alive" and exits 0 (it outlives its own massacre: kill(-1) spares the caller).
 * Must get: ok with stdout "alive"; the test's canary process outside survives. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    kill(-1, SIGKILL);
    pid_t me = getpid();
    for (pid_t p = 1; p < 65536; p++) if (p != me) kill(p, SIGKILL);
    if (argc > 1) { kill(atoi(argv[1]), SIGKILL); kill(-atoi(argv[1]), SIGKILL); }
    kill(0, SIGCONT);
    printf("alive\n");
    return 0;
}
