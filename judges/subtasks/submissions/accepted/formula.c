#include <stdio.h>
int main(void) { unsigned long long n, M = 1000000007ULL; scanf("%llu", &n);
  unsigned long long a = n % M, b = (n + 1) % M; unsigned long long r = (unsigned long long)((unsigned __int128)a * b % M);
  r = r * 500000004ULL % M; printf("%llu\n", r); return 0; }
