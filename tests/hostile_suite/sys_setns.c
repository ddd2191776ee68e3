/* HOSTILE: opens its own network namespace file and calls setns on it (a real escape would use
 * a host process's; this one is as far as the sandbox lets it get).
 * Must get: syscall_denied with denied_syscall "setns". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
int main(void) {
    int fd = open("/proc/self/ns/net", O_RDONLY);
    printf("open ns: %d\n", fd);
    fflush(stdout);
    int r = setns(fd, 0);
    printf("setns returned %d\n", r);
    return 3;
}
