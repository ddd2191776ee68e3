/* HOSTILE (dangerous): fills a tmpfs file (argv[1], e.g. /tmp/fill or /dev/shm/fill) 1 MiB at a
 * time; tmpfs pages are memory charged to the run's cgroup. Exits 1 when a write fails.
 * Must get: --mem 32M --disk 256M: memory_limit_exceeded (OOM kill, or the failure while at
 * the limit). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    static char buf[1 << 20];
    memset(buf, 7, sizeof buf);
    int fd = open(argc > 1 ? argv[1] : "/tmp/fill", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 2; }
    for (;;) if (write(fd, buf, sizeof buf) < 0) { perror("write"); return 1; }
}
