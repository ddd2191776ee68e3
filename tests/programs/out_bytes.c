/* out_bytes N [ERR_N [CODE]]: writes N bytes 'a' to stdout, ERR_N bytes 'b' to stderr,
 * then exits with CODE (default 0). */
#include <stdlib.h>
#include <unistd.h>
static void put(int fd, long n, char c) {
    char buf[4096];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = c;
    while (n > 0) {
        ssize_t w = write(fd, buf, n < (long)sizeof buf ? (size_t)n : sizeof buf);
        if (w <= 0) exit(99);
        n -= w;
    }
}
int main(int argc, char **argv) {
    put(1, argc > 1 ? atol(argv[1]) : 0, 'a');
    put(2, argc > 2 ? atol(argv[2]) : 0, 'b');
    return argc > 3 ? atoi(argv[3]) : 0;
}
