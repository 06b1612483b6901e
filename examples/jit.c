/* Self-modifying code, as a JIT makes it: a function written into an executable mapping,
 * called, rewritten and called again; the emulator must notice every rewrite. A hot loop
 * of stores comes first, so that pyloader's --tlb=auto has left cpu mode by then.
 *   ./jit [SPIN [ROUNDS]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned char table[1 << 16];

int main(int argc, char **argv) {
  long spin = argc > 1 ? atol(argv[1]) : 0, rounds = argc > 2 ? atol(argv[2]) : 1000;
  unsigned long x = 1;
  for (long i = 0; i < spin; i++) {
    x = x * 6364136223846793005UL + 1442695040888963407UL;
    table[x >> 48] += (unsigned char)x;
  }
  unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap"); return 1; }
  long sum = 0;
  for (int r = 0; r < rounds; r++) {       /* mov eax, r; ret */
    code[0] = 0xb8;
    memcpy(code + 1, &r, 4);
    code[5] = 0xc3;
    sum += ((int (*)(void))code)();
  }
  /* W^X, as careful JITs do: writable while written, executable while run */
  long sum2 = 0;
  for (int r = 0; r < rounds / 10; r++) {
    mprotect(code, 4096, PROT_READ | PROT_WRITE);
    memcpy(code + 1, &r, 4);
    mprotect(code, 4096, PROT_READ | PROT_EXEC);
    sum2 += ((int (*)(void))code)();
  }
  /* written while only writable, then made executable with write kept (no mprotect
   * between the call and the next rewrite): stores through what the TLB learnt before
   * the page could hold code must still reach the code translated from it */
  long sum4 = 0;
  for (int r = 0; r < rounds / 10; r++) {
    mprotect(code, 4096, PROT_READ | PROT_WRITE);
    memcpy(code + 1, &r, 4);
    mprotect(code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    sum4 += ((int (*)(void))code)();
    int s = 2 * r;
    memcpy(code + 1, &s, 4);
    sum4 += ((int (*)(void))code)();
  }
  /* new code at the same address: the old mapping replaced, then unmapped and mapped again,
   * as a dlclose and a dlopen may do; the code is written by read() from a file */
  long sum3 = 0;
  FILE *f = tmpfile();
  for (int r = 0; r < 100 && f; r++) {
    unsigned char insn[6] = {0xb8, 0, 0, 0, 0, 0xc3};
    memcpy(insn + 1, &r, 4);
    rewind(f);
    fwrite(insn, 1, 6, f);
    fflush(f);
    if (r % 3 == 2)
      ;                                   /* the same mapping, rewritten by the kernel */
    else if (r % 3)
      code = mmap(code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    else {
      munmap(code, 4096);
      code = mmap(code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    pread(fileno(f), code, 6, 0);
    sum3 += ((int (*)(void))code)();
  }
  unsigned check = 0;
  for (int i = 0; i < (1 << 16); i++) check = check * 31 + table[i];
  long tenth = (rounds / 10) * (rounds / 10 - 1) / 2;
  printf("table %08x, sum %ld (want %ld), sum2 %ld (want %ld), sum3 %ld (want 4950), "
         "sum4 %ld (want %ld)\n", check, sum, rounds * (rounds - 1) / 2, sum2, tenth, sum3,
         sum4, 3 * tenth);
  return sum != rounds * (rounds - 1) / 2 || sum2 != tenth || sum3 != 4950 ||
         sum4 != 3 * tenth;
}
