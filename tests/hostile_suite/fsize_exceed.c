/* HOSTILE: writes a 4 MiB file in /box.
 * Must get: --fsize 1M: output_limit_exceeded (SIGXFSZ). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    static char buf[1 << 20];
    memset(buf, 1, sizeof buf);
    int fd = open("/box/big", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    for (int i = 0; i < 4; i++) write(fd, buf, sizeof buf);
    return 0;
}
