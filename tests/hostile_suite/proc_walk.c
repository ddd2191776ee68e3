/* HOSTILE: walks /proc: every /proc/N it can see (printed as "pid N comm"), their environ,
 * cmdline, root and cwd links and open fds (contents printed when readable).
 * Must get: ok; only the sandbox's own processes are visible (at most init and itself), and no
 * host secret (environment or file) appears. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void dump(const char *p) {
    char buf[4096];
    int fd = open(p, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 0) { for (ssize_t i = 0; i < n; i++) if (!buf[i]) buf[i] = ' '; buf[n] = 0; printf("  %s: %s\n", p, buf); }
    close(fd);
}
int main(void) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    char p[512], l[512];
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(p, sizeof p, "/proc/%s/comm", e->d_name);
        char comm[64] = "?";
        int fd = open(p, O_RDONLY);
        if (fd >= 0) { ssize_t n = read(fd, comm, sizeof comm - 1); if (n > 0) comm[n - 1] = 0; close(fd); }
        printf("pid %s %s\n", e->d_name, comm);
        const char *f[] = {"environ", "cmdline", "root/etc/hostname", "cwd/.", "status"};
        for (int i = 0; i < 5; i++) { snprintf(p, sizeof p, "/proc/%s/%s", e->d_name, f[i]); dump(p); }
        snprintf(p, sizeof p, "/proc/%s/fd", e->d_name);
        DIR *fds = opendir(p);
        struct dirent *x;
        while (fds && (x = readdir(fds))) {
            if (x->d_name[0] == '.') continue;
            snprintf(p, sizeof p, "/proc/%s/fd/%s", e->d_name, x->d_name);
            ssize_t n = readlink(p, l, sizeof l - 1);
            if (n > 0) { l[n] = 0; printf("  fd %s -> %s\n", p, l); }
            dump(p);
        }
        if (fds) closedir(fds);
    }
    return 0;
}
