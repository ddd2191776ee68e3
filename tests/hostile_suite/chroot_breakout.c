/* HOSTILE: the classic chroot breakout (mkdir d; chroot d; chdir .. x100; chroot .), then
 * reads the host paths in argv. Meant for --seccomp off (the default policy stops chroot).
 * Prints what it could read; exits 0.
 * Must get: with --seccomp off, ok: chroot fails (EPERM) and no host secret appears. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
    mkdir("/box/jail", 0755);
    if (chroot("/box/jail") < 0) printf("chroot: %s\n", strerror(errno));
    for (int i = 0; i < 100; i++) chdir("..");
    if (chroot(".") < 0) printf("chroot .: %s\n", strerror(errno));
    for (int i = 1; i < argc; i++) {
        char buf[256] = {0};
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) { printf("%s: %s\n", argv[i], strerror(errno)); continue; }
        read(fd, buf, sizeof buf - 1);
        printf("%s: %s\n", argv[i], buf);
    }
    return 0;
}
