/* HOSTILE: sethostname/setdomainname (a uts namespace of its own, but no capability).
 * Prints "CHANGED" and exits 3 if either worked, else exits 0.
 * Must get: ok (exit 0) with EPERM; the host's hostname unchanged. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    char h[256] = {0};
    gethostname(h, sizeof h - 1);
    printf("hostname %s\n", h);
    int bad = 0;
    if (sethostname("dkt-pwned", 9) == 0) { printf("CHANGED hostname\n"); bad = 1; } else printf("sethostname: %s\n", strerror(errno));
    if (setdomainname("dkt-pwned", 9) == 0) { printf("CHANGED domainname\n"); bad = 1; } else printf("setdomainname: %s\n", strerror(errno));
    return bad ? 3 : 0;
}
