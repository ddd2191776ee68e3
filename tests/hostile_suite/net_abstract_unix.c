/* HOSTILE: connects to an abstract unix socket of the host (argv[1] = its name without the
 * leading NUL, e.g. dokeru-test-1234) and to well-known host unix sockets by path.
 * Prints "CONNECTED <name>" and exits 3 on success; else prints failures and exits 0.
 * Must get: ok (exit 0); the host listener accepts nothing (abstract sockets belong to the
 * network namespace). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
static int bad;
static void try(const char *name, int abstract) {
    struct sockaddr_un a = {0};
    a.sun_family = AF_UNIX;
    size_t n = strlen(name);
    if (n > sizeof a.sun_path - 2) n = sizeof a.sun_path - 2;
    memcpy(a.sun_path + (abstract ? 1 : 0), name, n);
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + n + (abstract ? 1 : 0);
    int types[] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
    for (int t = 0; t < 3; t++) {
        int s = socket(AF_UNIX, types[t], 0);
        if (s < 0) { printf("%s: socket: %s\n", name, strerror(errno)); continue; }
        if (connect(s, (void *)&a, len) < 0) printf("%s%s: connect: %s\n", abstract ? "@" : "", name, strerror(errno));
        else { write(s, "escaped\n", 8); printf("CONNECTED %s%s\n", abstract ? "@" : "", name); bad = 1; }
        close(s);
    }
}
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) try(argv[i], 1);
    try("/run/systemd/private", 0);
    try("/var/run/docker.sock", 0);
    try("/run/dbus/system_bus_socket", 0);
    try("/dev/log", 0);
    try("/org/freedesktop/systemd1/notify", 1);
    return bad ? 3 : 0;
}
