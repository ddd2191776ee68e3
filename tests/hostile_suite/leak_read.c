/* HOSTILE (cross-run, part 2): looks for what leak_write left in an earlier run (argv[1]).
 * Prints "FOUND <path>" and exits 3 if anything is there, else exits 0.
 * Must get: ok (exit 0): /tmp, /dev/shm and /box are fresh for every run. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv) {
    const char *tag = argc > 1 ? argv[1] : "dkt";
    char p[256];
    int bad = 0;
    const char *dirs[] = {"/tmp", "/dev/shm", "/box"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/leak-%s", dirs[i], tag);
        if (access(p, F_OK) == 0) { printf("FOUND %s\n", p); bad = 1; }
    }
    snprintf(p, sizeof p, "/leak-shm-%s", tag);
    if (shm_open(p, O_RDONLY, 0) >= 0) { printf("FOUND shm %s\n", p); bad = 1; }
    printf("clean\n");
    return bad ? 3 : 0;
}
