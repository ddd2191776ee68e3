/* HOSTILE: orphaned daemon. Double fork + setsid; the grandchild keeps stdout and stderr open
 * and sleeps 100 s; the main process prints "parent done" and exits 0 at once.
 * Must get: status ok with wall_time_ms far below 100 s (dokeru does not wait for the daemon's
 * end-of-file), and the daemon is killed: nothing is left after the run. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    pid_t p = fork();
    if (p == 0) {
        setsid();
        if (fork() == 0) {
            printf("daemon running\n");
            fflush(stdout);
            sleep(100);
            _exit(0);
        }
        _exit(0);
    }
    waitpid(p, NULL, 0);
    usleep(100000);
    printf("parent done\n");
    fflush(stdout);
    return 0;
}
