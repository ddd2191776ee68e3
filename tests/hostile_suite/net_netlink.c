/* HOSTILE: opens a netlink socket (kernel attack surface: routes, links, audit, uevents).
 * Must get: syscall_denied, denied_syscall "socket". */
#include <stdio.h>
#include <sys/socket.h>
#include <linux/netlink.h>
int main(void) {
    int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT);
    printf("socket returned %d\n", s);
    return 0;
}
