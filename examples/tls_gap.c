/* Static TLS gap filling (_dl_determine_tlsoffset): built three ways. With -DBIG, a library
   whose 90-byte, 16-aligned TLS block leaves a 6-byte gap below it; with -DSMALL, one with a
   6-byte block that ld.so puts in that gap; without either, the program using both. */
#if defined(BIG)
__thread char big[90] __attribute__((aligned(16))) = {1};
char *big_tls(void) { return big; }
#elif defined(SMALL)
__thread short small[3] = {2, 3, 4};
short *small_tls(void) { return small; }
#else
#include <stdio.h>
char *big_tls(void);
short *small_tls(void);

int main(void)
{
    printf("big[0]=%d small=%d,%d,%d\n", big_tls()[0], small_tls()[0], small_tls()[1],
           small_tls()[2]);
    return 0;
}
#endif
