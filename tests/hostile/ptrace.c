/* HOSTILE: ptrace(PTRACE_TRACEME).
 * Must get: with the default seccomp policy, syscall_denied with denied_syscall "ptrace". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
int main(void) {
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) { printf("ptrace failed: %s\n", strerror(errno)); return 1; }
    printf("traced\n");
    return 0;
}
