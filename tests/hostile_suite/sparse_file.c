/* HOSTILE: makes a 1 TiB sparse file in /box with ftruncate.
 * Must get: default --fsize 64M: output_limit_exceeded (SIGXFSZ); the host never reads it. */
#include <fcntl.h>
#include <unistd.h>
int main(void) {
    int fd = open("/box/sparse", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 2;
    ftruncate(fd, 1L << 40);
    return 0;
}
