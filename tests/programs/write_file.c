/* write_file PATH BYTES: writes BYTES bytes to PATH in 64 KiB chunks.
 * Exit 0: all written; 1: open failed; 2: a write failed (strerror on stderr).
 * A write past RLIMIT_FSIZE raises SIGXFSZ (default action: die). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 3) return 100;
    long long left = atoll(argv[2]);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { fprintf(stderr, "open: %s\n", strerror(errno)); return 1; }
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    while (left > 0) {
        size_t n = left < (long long)sizeof buf ? (size_t)left : sizeof buf;
        ssize_t w = write(fd, buf, n);
        if (w < 0) { fprintf(stderr, "write: %s\n", strerror(errno)); return 2; }
        left -= w;
    }
    if (close(fd) < 0) { fprintf(stderr, "close: %s\n", strerror(errno)); return 2; }
    printf("wrote %s\n", argv[2]);
    return 0;
}
