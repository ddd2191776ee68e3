#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Correct output, then touches far more than 256 MiB. */
int main(void) {
    char s[256]; scanf("%255s", s); printf("Hello, %s!\n", s); fflush(stdout);
    for (int i = 0; i < 64; i++) { char *p = malloc(16 << 20); if (!p) return 3; memset(p, 1, 16 << 20); }
    return 0;
}
