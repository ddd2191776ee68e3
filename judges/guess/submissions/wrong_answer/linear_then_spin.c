/* Guesses 1, 2, 3...: the interactor rejects after 10 guesses, then this burns CPU
   until its time limit. The interactor rejected first: wrong_answer, not a time limit. */
#include <stdio.h>
#include <string.h>
int main(void) {
    char line[64];
    for (int g = 1; g <= 1000; g++) {
        printf("%d\n", g);
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) break;
        if (strncmp(line, "correct", 7) == 0) return 0;
    }
    volatile unsigned long x = 0;
    for (;;) x++;
}
