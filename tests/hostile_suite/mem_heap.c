/* HOSTILE (dangerous): allocates and touches 1 MiB of heap after another, forever.
 * Must get: --mem 64M: memory_limit_exceeded, oom_killed true, memory_peak_bytes <= ~64 MiB. */
#include <stdlib.h>
#include <string.h>
int main(void) {
    for (;;) { char *p = malloc(1 << 20); if (p) memset(p, 1, 1 << 20); }
}
