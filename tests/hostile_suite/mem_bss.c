/* HOSTILE (dangerous): a 1 GiB zero-initialised static array (bss), touched page by page.
 * Must get: --mem 64M: memory_limit_exceeded. */
static char big[1UL << 30];
int main(void) {
    for (unsigned long i = 0; i < sizeof big; i += 4096) big[i] = 1;
    return big[12345];
}
