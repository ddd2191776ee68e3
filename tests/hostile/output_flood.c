/* HOSTILE: writes 'y' lines to stdout (and a few to stderr) forever.
 * Must get: output_limit_exceeded, at most --output-limit bytes kept, truncated true. */
#include <string.h>
#include <unistd.h>
int main(void) {
    char buf[65536];
    memset(buf, 'y', sizeof buf);
    for (int i = 1; i < (int)sizeof buf; i += 2) buf[i] = '\n';
    for (unsigned long n = 0;; n++) {
        if (write(1, buf, sizeof buf) < 0) return 1;
        if (n % 64 == 0) write(2, "flood\n", 6);
    }
}
