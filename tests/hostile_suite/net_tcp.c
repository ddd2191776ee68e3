/* HOSTILE: TCP connect to a listener of the host at 127.0.0.1:PORT (argv[1]), also via
 * ::1 and the host's other addresses given as argv[2..]; sends "escaped" if connected.
 * Prints "CONNECTED <addr>" and exits 3 on success; prints each failure and exits 0.
 * Must get: ok (exit 0) under the default seccomp policy (socket(AF_INET) fails with ENOSYS),
 * with --seccomp off, and with --net loopback; the host listener never sees a connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static int bad;
static void try(const char *host, int port) {
    struct sockaddr_storage ss = {0};
    socklen_t len;
    int fam = strchr(host, ':') ? AF_INET6 : AF_INET;
    if (fam == AF_INET) { struct sockaddr_in *a = (void *)&ss; a->sin_family = AF_INET; a->sin_port = htons(port); inet_pton(AF_INET, host, &a->sin_addr); len = sizeof *a; }
    else { struct sockaddr_in6 *a = (void *)&ss; a->sin6_family = AF_INET6; a->sin6_port = htons(port); inet_pton(AF_INET6, host, &a->sin6_addr); len = sizeof *a; }
    int s = socket(fam, SOCK_STREAM, 0);
    if (s < 0) { printf("%s: socket: %s\n", host, strerror(errno)); return; }
    if (connect(s, (void *)&ss, len) < 0) { printf("%s: connect: %s\n", host, strerror(errno)); close(s); return; }
    write(s, "escaped\n", 8);
    printf("CONNECTED %s\n", host);
    bad = 1;
    close(s);
}
int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 80;
    try("127.0.0.1", port);
    try("::1", port);
    for (int i = 2; i < argc; i++) try(argv[i], port);
    return bad ? 3 : 0;
}
