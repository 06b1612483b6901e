/* Resource limits the guest sets on itself: RLIMIT_AS refuses a big mapping, RLIMIT_DATA
 * a big break, RLIMIT_NOFILE stops descriptor numbers (and none of them binds pyloader, whose
 * own descriptors and memory they are not), raising a hard limit needs CAP_SYS_RESOURCE. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
int main(void) {
  struct rlimit rl = {256 << 20, 256 << 20};
  printf("RLIMIT_AS 256 MiB: %d\n", setrlimit(RLIMIT_AS, &rl));
  void *p = mmap(NULL, 512 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("512 MiB mmap: %s\n", p == MAP_FAILED ? strerror(errno) : "ok");
  void *q = malloc(64 << 20); printf("64 MiB malloc: %s\n", q ? "ok" : "NULL");
  rl.rlim_cur = rl.rlim_max = 1 << 20;
  printf("RLIMIT_DATA 1 MiB: %d\n", setrlimit(RLIMIT_DATA, &rl));
  printf("sbrk 2 MiB: %s\n", sbrk(2 << 20) == (void *)-1 ? strerror(errno) : "ok");
  struct rlimit nf = {64, 64}; setrlimit(RLIMIT_NOFILE, &nf);
  int last = -1, fd; while ((fd = dup(1)) >= 0) last = fd;
  printf("fds stop at %d: %s\n", last, strerror(errno));
  nf.rlim_max = 128; printf("raise hard as root: %d\n", setrlimit(RLIMIT_NOFILE, &nf));
  nf.rlim_cur = 200; printf("soft above hard: %d %s\n", setrlimit(RLIMIT_NOFILE, &nf), strerror(errno));
  return 0; }
