/* HOSTILE: 4 children flood stdout and stderr at once; the parent exits at once.
 * Must get: --output-limit 1M: output_limit_exceeded (or ok if the parent's exit ends the run
 * first is NOT allowed: the parent waits); at most 1 MiB kept in total. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    static char buf[65536];
    memset(buf, 'c', sizeof buf);
    for (int i = 0; i < 4; i++)
        if (fork() == 0) for (;;) if (write(1 + (i & 1), buf, sizeof buf) < 0) _exit(1);
    while (wait(0) > 0) {}
    return 0;
}
