/* netloop: TCP round trip over 127.0.0.1 inside the sandbox (listen, connect, send, accept, recv).
 * Prints "loopback ok" and exits 0 on success; prints "<step>: <error>" and exits 1 otherwise.
 * Needs --seccomp off (the default policy denies socket). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static int fail(const char *step) { printf("%s: %s\n", step, strerror(errno)); return 1; }
int main(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0) return fail("socket");
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0) return fail("bind");
    if (listen(l, 1) < 0) return fail("listen");
    socklen_t len = sizeof a;
    if (getsockname(l, (struct sockaddr *)&a, &len) < 0) return fail("getsockname");
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0) return fail("socket");
    if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) return fail("connect");
    if (write(c, "ping", 4) != 4) return fail("write");
    int s = accept(l, NULL, NULL);
    if (s < 0) return fail("accept");
    char buf[8] = {0};
    if (read(s, buf, 4) != 4 || strcmp(buf, "ping")) return fail("read");
    printf("loopback ok\n");
    return 0;
}
