/* __thread variables (static TLS laid out by the linker) and errno. */
#include <stdio.h>
#include <errno.h>
__thread int counter = 5;
__thread char buf[64];
static __thread long big[100];
int main(void) { counter += 2; big[99] = 7; snprintf(buf, sizeof buf, "c=%d", counter); errno = 33;
  printf("%s big=%ld errno=%d\n", buf, big[99], errno); return 0; }
