/* HOSTILE (dangerous): unbounded recursion on a 1 GiB thread stack (mmap'ed, grows as it is
 * touched), so it is the memory limit and not RLIMIT_STACK that stops it.
 * Must get: --mem 64M: memory_limit_exceeded. */
#include <pthread.h>
#include <string.h>
static int deep(int n) { volatile char frame[65536]; memset((char *)frame, n, sizeof frame); return deep(n + 1) + frame[100]; }
static void *run(void *a) { deep(0); return a; }
int main(void) {
    pthread_attr_t at; pthread_t t;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 1UL << 30);
    if (pthread_create(&t, &at, run, 0)) return 2;
    pthread_join(t, 0);
    return 0;
}
