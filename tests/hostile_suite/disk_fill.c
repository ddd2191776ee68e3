/* HOSTILE: fills a file (argv[1], e.g. /box/fill or /tmp/fill) until a write fails; prints
 * "full: <error>" and exits 0.
 * Must get: --disk 8M --mem 256M: ok, stdout "full: No space left on device"; the host's
 * disk is untouched (the box is a tmpfs of --disk bytes). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    static char buf[1 << 16];
    memset(buf, 1, sizeof buf);
    int fd = open(argc > 1 ? argv[1] : "/box/fill", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { printf("open: %s\n", strerror(errno)); return 2; }
    long total = 0;
    for (;;) {
        ssize_t n = write(fd, buf, sizeof buf);
        if (n < 0) { printf("full: %s\n", strerror(errno)); fprintf(stderr, "%ld bytes\n", total); return 0; }
        total += n;
    }
}
