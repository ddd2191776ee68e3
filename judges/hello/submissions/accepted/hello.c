#include <stdio.h>
int main(void) { char s[256]; if (scanf("%255s", s) != 1) return 1; printf("Hello, %s!\n", s); return 0; }
