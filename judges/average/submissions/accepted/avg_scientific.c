#include <stdio.h>
/* Any valid float formatting is accepted under a tolerance: 2.333333e+00 */
int main(void) { int n; double s = 0, x; scanf("%d", &n); for (int i = 0; i < n; i++) { scanf("%lf", &x); s += x; } printf("%e\n", s / n); return 0; }
