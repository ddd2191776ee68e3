/* HOSTILE: calls ptrace directly: ptrace(...).
 * Must get: syscall_denied with denied_syscall "ptrace" (the call never runs; if it returns,
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
    long r = (long)(ptrace(PTRACE_ATTACH, 1, 0, 0));
    printf("ptrace returned %ld\n", r);
    return 3;
}
