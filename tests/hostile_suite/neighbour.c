/* HOSTILE (cross-run): run twice at once. "victim" prints its pid and sleeps argv[2] ms, then
 * prints "survived". "hunter" scans /proc for any process that is not its own and sends
 * SIGKILL to every pid 1..32767 (and to the host pid argv[2] if given); prints what it saw.
 * Must get: both ok; the victim prints "survived"; the hunter sees no other run's process. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "victim")) {
        printf("victim pid %d\n", getpid()); fflush(stdout);
        usleep((argc > 2 ? atoi(argv[2]) : 1500) * 1000);
        printf("survived\n");
        return 0;
    }
    DIR *d = opendir("/proc");
    struct dirent *e;
    while ((e = readdir(d))) if (e->d_name[0] >= '0' && e->d_name[0] <= '9') printf("see pid %s\n", e->d_name);
    for (pid_t p = 1; p < 32768; p++) if (p != getpid()) kill(p, SIGKILL);
    if (argc > 2) kill(atoi(argv[2]), SIGKILL);
    printf("hunted\n");
    return 0;
}
