/* HOSTILE: writes host kernel knobs: /proc/sys/kernel/hostname, /proc/sys/vm/drop_caches,
 * /proc/sys/kernel/core_pattern, /proc/sys/fs/file-max, /proc/sysrq-trigger ("h": only
 * harmless help text, should it ever get through), /proc/sys/kernel/printk, and
 * /sys/kernel/..., /sys/fs/cgroup/... when present. Prints "WROTE <file>" for a write that
 * worked. Exits 3 if any did, else 0.
 * Must get: ok (exit 0), and the host's hostname and core_pattern are unchanged. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static int bad;
static void w(const char *p, const char *v) {
    int fd = open(p, O_WRONLY);
    if (fd < 0) { printf("%s: open: %s\n", p, strerror(errno)); return; }
    if (write(fd, v, strlen(v)) < 0) printf("%s: write: %s\n", p, strerror(errno));
    else { printf("WROTE %s\n", p); bad = 1; }
    close(fd);
}
int main(void) {
    w("/proc/sys/kernel/hostname", "dkt-pwned");
    w("/proc/sys/kernel/core_pattern", "|/box/pwn");
    w("/proc/sys/vm/drop_caches", "3");
    w("/proc/sys/fs/file-max", "100");
    w("/proc/sys/kernel/printk", "7");
    w("/proc/sysrq-trigger", "h");
    w("/proc/self/oom_score_adj", "-1000");
    w("/sys/kernel/uevent_helper", "/box/pwn");
    w("/sys/fs/cgroup/cgroup.procs", "1");
    w("/sys/fs/cgroup/memory/memory.limit_in_bytes", "-1");
    w("/sys/fs/cgroup/pids/pids.max", "max");
    w("/sys/fs/cgroup/memory.max", "max");
    w("/sys/fs/cgroup/pids.max", "max");
    w("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
    w("/proc/1/oom_score_adj", "1000");
    return bad ? 3 : 0;
}
