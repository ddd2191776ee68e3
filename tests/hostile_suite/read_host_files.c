/* HOSTILE: tries to read host files (argv: absolute host paths, e.g. canaries) by every path
 * it can think of: as given, /proc/1/root/..., /proc/self/root/..., /proc/self/cwd/../..,
 * ../../.. from /box, /proc/1/cwd/..., and a symlink made in /box. Prints
 * "<path>: <contents>" when a read works and "<path>: <error>" otherwise; exits 0.
 * Must get: ok; the host's secrets never appear in stdout or stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void try(const char *p) {
    char buf[512] = {0};
    int fd = open(p, O_RDONLY);
    if (fd < 0) { printf("%s: %s\n", p, strerror(errno)); return; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("%s: read %zd: %s\n", p, n, n > 0 ? buf : "");
    close(fd);
}
int main(int argc, char **argv) {
    const char *pre[] = {"", "/proc/1/root", "/proc/self/root", "/proc/self/cwd/../../../..",
                         "../../../../..", "/proc/1/cwd/../../..", "/proc/2/root", "/box/../../..", "/tmp/../../.."};
    char p[4096];
    for (int i = 1; i < argc; i++) {
        for (unsigned j = 0; j < sizeof pre / sizeof *pre; j++) {
            snprintf(p, sizeof p, "%s%s", pre[j], argv[i]);
            try(p);
        }
        snprintf(p, sizeof p, "/box/link%d", i);
        symlink(argv[i], p);
        try(p);
        snprintf(p, sizeof p, "/tmp/link%d", i);
        symlink(argv[i], p);
        try(p);
    }
    return 0;
}
