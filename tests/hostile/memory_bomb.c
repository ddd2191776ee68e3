/* HOSTILE (dangerous: run only through dokeru with --mem, first in the cgroup-v2 VM):
 * allocates and touches 1 MiB after another, forever.
 * Must get: with --mem 64M, memory_limit_exceeded and oom_killed true; the host is unaffected. */
#include <stdlib.h>
#include <string.h>
int main(void) {
    for (;;) {
        char *p = malloc(1 << 20);
        if (p) memset(p, 1, 1 << 20);
    }
}
