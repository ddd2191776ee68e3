/* HOSTILE: calls process_vm_readv directly: syscall(...).
 * Must get: syscall_denied with denied_syscall "process_vm_readv" (the call never runs; if it returns,
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
    long r = (long)(syscall(SYS_process_vm_readv, 1, 0, 0, 0, 0, 0));
    printf("process_vm_readv returned %ld\n", r);
    return 3;
}
