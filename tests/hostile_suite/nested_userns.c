/* HOSTILE: unshare(CLONE_NEWUSER|CLONE_NEWNS) then mount a tmpfs (the usual first step of a
 * nested-namespace kernel exploit). Meant for --seccomp off (the default policy stops unshare).
 * Prints "NESTED" and exits 3 if it got a new user namespace, else exits 0.
 * Must get: with --seccomp off, ok (exit 0): nested user namespaces are refused. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
int main(void) {
    if (unshare(CLONE_NEWUSER) == 0) {
        printf("NESTED userns\n");
        if (unshare(CLONE_NEWNS) == 0 && mount("none", "/tmp", "tmpfs", 0, 0) == 0) printf("NESTED mount\n");
        return 3;
    }
    printf("unshare: %s\n", strerror(errno));
    return 0;
}
