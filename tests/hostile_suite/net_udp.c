/* HOSTILE: sends UDP datagrams to 127.0.0.1:PORT (argv[1]) and the addresses in argv[2..],
 * where the host listens. Prints "SENT <addr>" when sendto reports success (a datagram
 * into the sandbox's own empty loopback is not an escape: the test checks the host socket).
 * Exits 0.
 * Must get: ok; the host's UDP socket receives nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 53;
    for (int i = 1; i < argc; i++) {
        const char *host = i == 1 ? "127.0.0.1" : argv[i];
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET; a.sin_port = htons(port); inet_pton(AF_INET, host, &a.sin_addr);
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        if (s < 0) { printf("%s: socket: %s\n", host, strerror(errno)); continue; }
        for (int k = 0; k < 3; k++)
            if (sendto(s, "escaped", 7, 0, (void *)&a, sizeof a) < 0) printf("%s: sendto: %s\n", host, strerror(errno));
            else printf("SENT %s\n", host);
        close(s);
    }
    return 0;
}
