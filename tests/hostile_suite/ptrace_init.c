/* HOSTILE: PTRACE_ATTACH to pid 1 (the sandbox's init, which holds root over the namespaces)
 * and to its parent. Meant for --seccomp off (the default policy stops ptrace).
 * Prints "ATTACHED <pid>" and exits 3 on success, else exits 0.
 * Must get: with --seccomp off, ok (exit 0): EPERM/ESRCH. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>
int main(void) {
    int bad = 0;
    pid_t t[2] = {1, getppid()};
    for (int i = 0; i < 2; i++) {
        if (ptrace(PTRACE_ATTACH, t[i], 0, 0) == 0) { printf("ATTACHED %d\n", t[i]); bad = 1; }
        else printf("attach %d: %s\n", t[i], strerror(errno));
    }
    return bad ? 3 : 0;
}
