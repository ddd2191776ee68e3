/* HOSTILE: clone3 with CLONE_NEWNS|CLONE_NEWUSER (flags in memory, out of the filter's reach).
 * Must get: ok: clone3 fails with ENOSYS under the default policy (so libcs fall back to
 * clone, which the filter can check); the program prints the error and exits 0; exit 3 if a
 * child was created. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    struct clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = CLONE_NEWNS | CLONE_NEWUSER;
    a.exit_signal = SIGCHLD;
    long r = syscall(SYS_clone3, &a, sizeof a);
    if (r == 0) _exit(0);
    if (r > 0) { printf("CLONED %ld\n", r); return 3; }
    printf("clone3: %s\n", strerror(errno));
    return 0;
}
