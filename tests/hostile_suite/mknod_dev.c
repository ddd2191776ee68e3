/* HOSTILE: creates device nodes in /box and /tmp (/dev/mem 1:1, /dev/sda 8:0, /dev/kmsg 1:11)
 * to reach host devices. A FIFO is allowed (it is no device). Prints "MADE <node>" for a
 * device node made, exits 3 if any, else 0.
 * Must get: ok (exit 0): EPERM for every device node. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
int main(void) {
    int bad = 0;
    struct { const char *p; int ma, mi; mode_t t; } n[] = {
        {"/box/mem", 1, 1, S_IFCHR}, {"/box/sda", 8, 0, S_IFBLK}, {"/tmp/kmsg", 1, 11, S_IFCHR}, {"/dev/shm/port", 1, 4, S_IFCHR}};
    for (unsigned i = 0; i < sizeof n / sizeof *n; i++) {
        if (mknod(n[i].p, n[i].t | 0666, makedev(n[i].ma, n[i].mi)) == 0) { printf("MADE %s\n", n[i].p); bad = 1; }
        else printf("%s: %s\n", n[i].p, strerror(errno));
    }
    if (mknod("/box/fifo", S_IFIFO | 0600, 0) == 0) printf("fifo ok\n");
    return bad ? 3 : 0;
}
