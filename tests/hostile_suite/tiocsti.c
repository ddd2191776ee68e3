/* HOSTILE: TIOCSTI (push characters into a terminal's input queue: the classic sandbox escape
 * into the caller's shell) on fds 0, 1, 2 and /dev/tty; also TIOCSCTTY/TIOCLINUX.
 * Prints "INJECTED <fd>" when the ioctl works, exits 3 if any, else 0.
 * Must get: ok (exit 0): the sandbox has no terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
int main(void) {
    int bad = 0;
    const char *cmd = "echo DKT-PWNED\n";
    int fds[4] = {0, 1, 2, open("/dev/tty", O_RDWR)};
    if (fds[3] < 0) printf("/dev/tty: %s\n", strerror(errno));
    for (int i = 0; i < 4; i++) {
        if (fds[i] < 0) continue;
        for (const char *c = cmd; *c; c++) {
            if (ioctl(fds[i], TIOCSTI, c) < 0) { printf("fd %d TIOCSTI: %s\n", fds[i], strerror(errno)); break; }
            if (!c[1]) { printf("INJECTED %d\n", fds[i]); bad = 1; }
        }
        if (ioctl(fds[i], TIOCSCTTY, 1) == 0) { printf("CTTY %d\n", fds[i]); bad = 1; }
    }
    return bad ? 3 : 0;
}
