/* HOSTILE: a 32-bit syscall via `int 0x80` (i386 getpid = 20) from a 64-bit program, the
 * classic way around filters that only know x86_64 numbers.
 * Must get: syscall_denied with denied_syscall "i386:20". */
#include <stdio.h>
int main(void) {
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
    printf("int80 returned %ld\n", ret);
    return 3;
}
