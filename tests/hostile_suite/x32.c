/* HOSTILE: an x32-ABI syscall (getpid = 39 | __X32_SYSCALL_BIT) through `syscall`.
 * Must get: syscall_denied with denied_syscall "x32:39". */
#include <stdio.h>
int main(void) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(0x40000000L | 39L) : "rcx", "r11", "memory");
    printf("x32 returned %ld\n", ret);
    return 3;
}
