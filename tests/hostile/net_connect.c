/* HOSTILE: TCP connect to 127.0.0.1:PORT (a listener on the host) and send a message.
 * net_connect PORT. Prints "connected" and exits 0 if it got through; prints
 * "<step> failed: <error>" and exits 1 otherwise.
 * Must get: with the default seccomp policy, syscall_denied with denied_syscall "socket";
 * with --seccomp off, nonzero_exit (the sandbox has no route to the host), and the host
 * listener never sees a connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 80;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) { printf("socket failed: %s\n", strerror(errno)); return 1; }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) { printf("connect failed: %s\n", strerror(errno)); return 1; }
    write(s, "escaped\n", 8);
    printf("connected\n");
    return 0;
}
