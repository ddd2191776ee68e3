/* HOSTILE: calls modify_ldt directly: syscall(...).
 * Must get: syscall_denied with denied_syscall "modify_ldt" (the call never runs; if it returns,
 * the program prints what it got and exits 3). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    long r = (long)(syscall(SYS_modify_ldt, 0, calloc(1, 64), 64));
    printf("modify_ldt returned %ld\n", r);
    return 3;
}
