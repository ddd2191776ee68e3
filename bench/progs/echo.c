/* The judge benchmark's solution: reads one number, prints it. */
#include <stdio.h>

int main(void) {
    long n;
    if (scanf("%ld", &n) != 1) return 1;
    printf("%ld\n", n);
    return 0;
}
