/* crash segv|abort|fpe: dies by the named signal (SIGSEGV 11, SIGABRT 6, SIGFPE 8).
 * Must get: status signaled, signal = that number, exit_code null. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    const char *how = argc > 1 ? argv[1] : "segv";
    if (strcmp(how, "abort") == 0) abort();
    if (strcmp(how, "fpe") == 0) raise(SIGFPE);
    volatile int *p = (volatile int *)0;
    *p = 42;
    return 0;
}
