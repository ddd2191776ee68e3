#include <stdio.h>
/* Loops to n: group 1 only; group 2 runs out of time. */
int main(void) { unsigned long long n, s = 0, M = 1000000007ULL; scanf("%llu", &n); for (unsigned long long i = 1; i <= n; i++) s = (s + i) % M; printf("%llu\n", s); return 0; }
