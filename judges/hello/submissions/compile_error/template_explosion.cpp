// A compiler bomb: exponential template instantiation; ends at the compile limits.
template <int N, typename T> struct E { typedef typename E<N - 1, E<N - 1, T>>::type type; };
template <typename T> struct E<0, T> { typedef T type; };
int main() { E<40, int>::type x; (void)x; }
