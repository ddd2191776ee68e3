/* HOSTILE: calls io_uring_setup directly: syscall(...).
 * Must get: syscall_denied with denied_syscall "io_uring_setup" (the call never runs; if it returns,
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
    long r = (long)(syscall(SYS_io_uring_setup, 8, calloc(1, 120)));
    printf("io_uring_setup returned %ld\n", r);
    return 3;
}
