/* HOSTILE: tries to read host files by path: read_host_file PATH...
 * For each path prints "PATH: <content>" if it could read it, "PATH: <error>" otherwise; exits 0.
 * Must get: the secret of a canary file the test made on the host (in /root and /var/tmp)
 * never appears in stdout or stderr, whether by absolute path, /proc/1/root/..., or
 * /proc/self/root/... */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) { printf("%s: %s\n", argv[i], strerror(errno)); continue; }
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n < 0) { printf("%s: %s\n", argv[i], strerror(errno)); close(fd); continue; }
        buf[n] = 0;
        printf("%s: %s\n", argv[i], buf);
        close(fd);
    }
    return 0;
}
