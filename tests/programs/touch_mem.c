/* touch_mem MIB: allocates MIB MiB and writes to every page, prints "touched MIB", exits 0.
 * With MIB=0 it measures the program's own baseline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 0;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (long i = 0; i < mib; i++) {
        char *p = malloc(1 << 20);
        if (!p) { perror("malloc"); return 1; }
        for (size_t off = 0; off < (1u << 20); off += page) p[off] = (char)(i + 1);
    }
    printf("touched %ld\n", mib);
    fflush(stdout);
    return 0;
}
