/* exit_code N: prints "exiting N" and exits with status N.
 * Used for: status ok (N=0) and nonzero_exit with exit_code N. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    int code = argc > 1 ? atoi(argv[1]) : 0;
    printf("exiting %d\n", code);
    return code;
}
