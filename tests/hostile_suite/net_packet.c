/* HOSTILE: opens a raw packet socket (AF_PACKET), the way to sniff or forge frames.
 * Must get: syscall_denied, denied_syscall "socket" (every family but unix/inet ends the run). */
#include <stdio.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <arpa/inet.h>
int main(void) {
    int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    printf("socket returned %d\n", s);
    return 0;
}
