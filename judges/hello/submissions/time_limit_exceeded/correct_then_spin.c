#include <stdio.h>
/* Correct output, then burns CPU: a limit hit is never rescued by a correct output. */
int main(void) { char s[256]; scanf("%255s", s); printf("Hello, %s!\n", s); fflush(stdout); volatile unsigned long x = 0; for (;;) x++; }
