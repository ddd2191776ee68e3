#include <stdio.h>
/* A NUL byte inside a token is a different token. */
int main(void) { char s[256]; scanf("%255s", s); printf("Hello, %s!%c\n", s, 0); return 0; }
