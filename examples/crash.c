/* Dies of a signal: ./crash (SIGSEGV, a NULL+8 read), ./crash fpe (divide by zero),
 * ./crash ill (ud2), ./crash abort (SIGABRT through raise), ./crash prot (SIGSEGV, a read
 * of a PROT_NONE page: SEGV_ACCERR). */
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

struct point { long x, y; };

int main(int argc, char **argv) {
        printf("about to crash\n");
        fflush(stdout);
        if (argc > 1 && strcmp(argv[1], "fpe") == 0) {
                volatile int zero = 0;
                return 10 / zero;
        }
        if (argc > 1 && strcmp(argv[1], "ill") == 0)
                __asm__ volatile("ud2");
        if (argc > 1 && strcmp(argv[1], "abort") == 0)
                abort();
        if (argc > 1 && strcmp(argv[1], "prot") == 0) {
                volatile char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                                           -1, 0);
                printf("page %p\n", (void *)page);
                fflush(stdout);
                return page[5];
        }
        struct point *volatile p = NULL;
        return (int)p->y;
}
