// A compiler bomb: 2^30 distinct template instantiations (each M is new, so
// nothing is memoized); the compile sandbox's memory or CPU limit ends it.
template <int N, int M> struct T { enum { v = T<N - 1, M * 2>::v + T<N - 1, M * 2 + 1>::v }; };
template <int M> struct T<0, M> { enum { v = 1 }; };
int main() { return T<30, 0>::v == 0; }
