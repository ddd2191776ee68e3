/* HOSTILE (cross-run, part 1): leaves files in /tmp, /dev/shm and /box, and a POSIX shm
 * segment, named after argv[1], for the next run to find. Exits 0.
 * Must get: ok. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv) {
    const char *tag = argc > 1 ? argv[1] : "dkt";
    char p[256];
    const char *dirs[] = {"/tmp", "/dev/shm", "/box"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/leak-%s", dirs[i], tag);
        int fd = open(p, O_WRONLY | O_CREAT, 0666);
        if (fd >= 0) { write(fd, tag, 3); close(fd); printf("left %s\n", p); }
    }
    snprintf(p, sizeof p, "/leak-shm-%s", tag);
    int fd = shm_open(p, O_RDWR | O_CREAT, 0666);
    if (fd >= 0) { ftruncate(fd, 4096); printf("left shm %s\n", p); }
    return 0;
}
