/* Spins forever on argv[1] threads. NOT bounded: run it only under a CPU limit. */
#include <pthread.h>
#include <stdlib.h>

static void *spin(void *arg) {
    volatile unsigned long n = 0;
    (void)arg;
    for (;;) n++;
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    pthread_t t;
    for (int i = 1; i < threads; i++) pthread_create(&t, NULL, spin, NULL);
    spin(NULL);
    return 0;
}
