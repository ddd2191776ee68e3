/* HOSTILE: calls swapon directly: syscall(...).
 * Must get: syscall_denied with denied_syscall "swapon" (the call never runs; if it returns,
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
    long r = (long)(syscall(SYS_swapon, "/box/swap", 0));
    printf("swapon returned %ld\n", r);
    return 3;
}
