/* Allocations that cannot be had: a 64 GiB malloc fails (mmap, then brk, say ENOMEM: malloc
 * returns NULL, nothing crashes); a 1 TiB MAP_NORESERVE reservation is granted; 100 MiB are
 * really touched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
int main(void) {
  void *p = malloc((size_t)1 << 36);
  printf("64 GiB malloc: %s\n", p ? "ok" : "NULL");
  void *q = mmap(NULL, (size_t)1 << 40, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  printf("1 TiB mmap noreserve: %s\n", q == MAP_FAILED ? "failed" : "ok");
  char *r = malloc(100 << 20); memset(r, 1, 100 << 20); printf("100 MiB touched: %d\n", r[12345]);
  return 0; }
