/* Touches argv[1] MiB of anonymous memory (every byte written, so every page is
 * resident), then prints its own peak RSS in KiB: VmHWM from /proc/self/status
 * (ru_maxrss is no good here: after a vfork-style spawn it still holds the parent's
 * peak, the kernel carries it over exec). Bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
    size_t bytes = mib << 20;
    if (bytes) {
        char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        memset(p, 1, bytes);
    }
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long hwm_kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &hwm_kib) == 1) break;
    printf("%ld\n", hwm_kib);
    return 0;
}
