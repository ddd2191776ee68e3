#include <stdio.h>
int main(void) { int *p = 0; printf("500\n"); fflush(stdout); return *p; }
