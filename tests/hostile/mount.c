/* HOSTILE: tries to mount a tmpfs over /box.
 * Prints "mounted" and exits 0 if it worked, "mount failed: <error>" and exits 1 otherwise.
 * Must get: with the default seccomp policy, syscall_denied with denied_syscall "mount";
 * with --seccomp off, nonzero_exit (no capability: EPERM). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
int main(void) {
    if (mount("none", "/box", "tmpfs", 0, NULL) < 0) { printf("mount failed: %s\n", strerror(errno)); return 1; }
    printf("mounted\n");
    return 0;
}
