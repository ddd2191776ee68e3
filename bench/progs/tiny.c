/* The smallest program: what a run costs when the program itself costs nothing. */
int main(void) { return 0; }
