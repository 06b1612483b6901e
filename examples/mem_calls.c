/* Memory calls whose effects a program sees: MADV_DONTNEED (anonymous pages read as zero,
 * a private file page as the file again), mremap growing and shrinking, mincore, mlock, msync. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>
int main(void) {
  char *p = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 7, 16384);
  madvise(p + 4096, 4096, MADV_DONTNEED);
  printf("after DONTNEED: %d %d %d\n", p[0], p[4096], p[8192]);
  char *q = mremap(p, 16384, 1 << 20, MREMAP_MAYMOVE);
  printf("mremap grow: %d %d tail %d\n", q[0], q[8192], q[(1 << 20) - 1]);
  char *r = mremap(q, 1 << 20, 8192, 0);
  printf("mremap shrink same place: %d\n", r == q);
  int fd = open("/etc/passwd", O_RDONLY);
  char *f = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  char c0 = f[0]; f[0] = 'X';
  madvise(f, 4096, MADV_DONTNEED);
  printf("private file page after DONTNEED: %d\n", f[0] == c0);
  printf("mincore: %d\n", mincore(q, 8192, (unsigned char[2]){0}));
  printf("mlock: %d msync: %d\n", mlock(q, 4096), msync(f, 4096, MS_SYNC));
  return 0; }
