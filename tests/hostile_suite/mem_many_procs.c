/* HOSTILE (dangerous): 8 processes each touch 12 MiB (each under the limit on its own,
 * together 96 MiB) and wait.
 * Must get: --mem 32M: memory_limit_exceeded (the limit is on the tree, not per process). */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    for (int i = 0; i < 8; i++) {
        if (fork() == 0) {
            char *p = malloc(12 << 20);
            memset(p, i + 1, 12 << 20);
            sleep(30);
            _exit(p[5]);
        }
    }
    while (wait(0) > 0) {}
    return 0;
}
