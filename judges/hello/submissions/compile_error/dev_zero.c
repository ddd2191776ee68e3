/* A compiler bomb: the preprocessor reads /dev/zero forever. */
#include "/dev/zero"
int main(void) { return 0; }
