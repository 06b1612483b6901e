/* Dynamic TLS: dlopen DIR/NAME... each a copy of tls_lib.c (some bigger than the static
 * TLS surplus, some initial-exec), touch each one's __thread data before and after later
 * dlopens (a new TLS generation each time), and report dlopen's errors as dlerror says.
 *   ./tls_dlopen DIR NAME... */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define MAX 64

int main(int argc, char **argv) {
  long (*touch[MAX])(int);
  const char *names[MAX];
  int n = 0;
  char path[4096];
  for (int i = 2; i < argc && n < MAX; i++) {
    snprintf(path, sizeof path, "%s/%s", argv[1], argv[i]);
    void *h = dlopen(path, RTLD_NOW);
    if (!h) {
      const char *e = dlerror(), *tail = strstr(e, argv[i]);
      printf("dlopen %s: %s\n", argv[i], tail ? tail : e);
      continue;
    }
    unsigned long (*size)(void) = (unsigned long (*)(void))dlsym(h, "tls_size");
    names[n] = argv[i];
    touch[n] = (long (*)(int))dlsym(h, "tls_touch");
    printf("%s: %lu bytes of TLS, touch %ld\n", argv[i], size(), touch[n](1));
    for (int j = 0; j < n; j++)          /* the older ones, after a new generation */
      if (touch[j](j + 1) <= 0) printf("%s: wrong\n", names[j]);
    n++;
  }
  for (int j = 0; j < n; j++)
    printf("%s: touch %ld\n", names[j], touch[j](10));
  return 0;
}
