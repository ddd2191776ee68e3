/* HOSTILE: tries to create, write, truncate, chmod, rename and unlink in every system
 * directory and file: / /usr /bin /lib /etc /opt /proc /sys /dev, /etc/passwd, /dev/null
 * (replace), /proc/1/..., /usr/bin/sh. Prints "WROTE <what>" when something worked, else
 * "<what>: <error>". Exits 3 if anything worked, else 0.
 * Must get: ok (exit 0): every system directory refuses (EROFS, EACCES, EPERM or ENOENT). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static int bad;
static void chk(const char *what, int r) {
    if (r < 0) printf("%s: %s\n", what, strerror(errno));
    else { printf("WROTE %s\n", what); bad = 1; }
}
int main(void) {
    const char *dirs[] = {"/", "/usr", "/bin", "/lib", "/lib64", "/etc", "/opt", "/proc", "/sys", "/dev", "/usr/bin", "/usr/lib", "/var", "/run", "/root", "/home"};
    char p[256];
    for (unsigned i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        snprintf(p, sizeof p, "%s/dkt-pwn", dirs[i]);
        int fd = open(p, O_WRONLY | O_CREAT, 0644);
        chk(p, fd);
        if (fd >= 0) { close(fd); unlink(p); }
        snprintf(p, sizeof p, "%s/dkt-pwn-dir", dirs[i]);
        chk(p, mkdir(p, 0755));
    }
    const char *files[] = {"/etc/passwd", "/etc/hosts", "/usr/bin/sh", "/bin/sh", "/etc/ld.so.preload", "/usr/lib/x86_64-linux-gnu/libc.so.6"};
    for (unsigned i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "open-write %s", files[i]);
        int fd = open(files[i], O_WRONLY | O_APPEND);
        chk(p, fd);
        if (fd >= 0) close(fd);
        snprintf(p, sizeof p, "chmod %s", files[i]);
        chk(p, chmod(files[i], 04777));
        snprintf(p, sizeof p, "unlink %s", files[i]);
        chk(p, unlink(files[i]));
        snprintf(p, sizeof p, "truncate %s", files[i]);
        chk(p, truncate(files[i], 0));
    }
    chk("rename /dev/null", rename("/dev/null", "/dev/null2"));
    chk("unlink /dev/null", unlink("/dev/null"));
    chk("symlink /dev/pwn", symlink("/box", "/dev/pwn"));
    chk("rename /box", rename("/box", "/box2"));
    chk("rmdir /tmp", rmdir("/tmp"));
    return bad ? 3 : 0;
}
