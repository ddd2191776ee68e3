/* HOSTILE: stops itself with SIGSTOP.
 * Must get: --wall-time 1: wall_time_limit_exceeded; the stopped process is killed. */
#include <signal.h>
#include <stdio.h>
int main(void) { printf("stopping\n"); fflush(stdout); raise(SIGSTOP); printf("resumed\n"); return 0; }
