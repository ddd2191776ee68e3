/* HOSTILE: writes to stdout forever.
 * Must get: --output-limit 1M: output_limit_exceeded, exactly 1 MiB kept, truncated. */
#include <string.h>
#include <unistd.h>
int main(void) {
    static char buf[65536];
    memset(buf, 'o', sizeof buf);
    for (;;) if (write(1, buf, sizeof buf) < 0) return 1;
}
