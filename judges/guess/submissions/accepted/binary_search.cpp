#include <iostream>
#include <string>
int main() { int lo = 1, hi = 1000; std::string r;
  while (true) { int m = (lo + hi) / 2; std::cout << m << std::endl; std::cin >> r; if (r == "correct") return 0; if (r == "higher") lo = m + 1; else hi = m - 1; } }
