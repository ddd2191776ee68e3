/* HOSTILE: writes to stderr forever.
 * Must get: --output-limit 1M: output_limit_exceeded, exactly 1 MiB of stderr kept, truncated. */
#include <string.h>
#include <unistd.h>
int main(void) {
    static char buf[65536];
    memset(buf, 'e', sizeof buf);
    for (;;) if (write(2, buf, sizeof buf) < 0) return 1;
}
