/* A store that faults stops the CPU at that store: the handler sees the faulting address and
 * rip at the store, the store after it (in the same basic block) has not happened yet, and
 * once the handler has mapped the page the store is made again and succeeds. Once for a
 * read-only page (SEGV_ACCERR) and once for an unmapped one (SEGV_MAPERR). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

static char *page;
static volatile long after;
static void *store_rip;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  void *rip = (void *)uc->uc_mcontext.gregs[REG_RIP];
  printf("SIGSEGV %s at page+%ld, rip %s, the next store %s\n",
         si->si_code == SEGV_ACCERR ? "SEGV_ACCERR" : si->si_code == SEGV_MAPERR ? "SEGV_MAPERR"
                                                                                 : "?",
         (long)((char *)si->si_addr - page), rip == store_rip ? "at the store" : "elsewhere",
         after ? "done (too early)" : "not done");
  if (mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
      == MAP_FAILED)
    _exit(3);
  (void)sig;
}

static void store_then_mark(void) {
  __asm__ volatile("lea 1f(%%rip), %%rax\n\t"
                   "mov %%rax, %[rip]\n\t"
                   "1: movq $7, 8(%[p])\n\t"     /* faults */
                   "movq $1, %[after]\n\t"       /* must not run before the handler */
                   : [rip] "=m"(store_rip), [after] "=m"(after)
                   : [p] "r"(page)
                   : "rax", "memory");
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED)
    return 2;
  store_then_mark();
  printf("read-only page: stored %d, next store %ld\n", page[8], after);
  after = 0;
  munmap(page, 4096);
  store_then_mark();
  printf("unmapped page: stored %d, next store %ld\n", page[8], after);
  return 0;
}
