#include <cstdio>
#include <cmath>
int main() { long long n; std::scanf("%lld", &n);
  for (long long a = 0; a * a <= n; a++) { long long r = n - a * a, b = (long long)std::llround(std::sqrt((double)r)); if (b * b == r) { std::printf("%lld %lld\n", b, a); return 0; } }
  std::puts("impossible"); }
