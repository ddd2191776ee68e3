/* HOSTILE: raises RLIMIT_NOFILE to its hard limit, then opens /dev/null until it fails.
 * Prints "exhausted after N: <error>" and exits 0.
 * Must get: ok, stdout "exhausted ... Too many open files" (a per-process cap holds). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
int main(void) {
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    long n = 0;
    for (;;) {
        if (open("/dev/null", O_RDONLY) < 0) { printf("exhausted after %ld: %s\n", n, strerror(errno)); return 0; }
        n++;
    }
}
