/* HOSTILE: stops itself with SIGSTOP and never continues.
 * Must get: with --wall-time 1, wall_time_limit_exceeded; it is killed and reaped (nothing left). */
#include <signal.h>
#include <stdio.h>
int main(void) {
    printf("stopping\n");
    fflush(stdout);
    raise(SIGSTOP);
    printf("continued\n");
    return 0;
}
