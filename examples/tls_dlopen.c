/* Dynamic TLS: dlopen DIR/NAME... each a copy of tls_lib.c (some bigger than the static
 * TLS surplus, some initial-exec), touch each one's __thread data before and after later
 * dlopens (a new TLS generation each time), and report dlopen's errors as dlerror says.
 * Then a new thread touches each one: its blocks start again from the initial images.
 *   ./tls_dlopen DIR NAME... */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAX 64

static long (*touch[MAX])(int);
static const char *names[MAX];
static int n;

static void *in_thread(void *arg) {
  for (int j = 0; j < n; j++)
    printf("thread: %s: touch %ld\n", names[j], touch[j](j + 1));
  return arg;
}

int main(int argc, char **argv) {
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
  fflush(stdout);
  pthread_t t;
  pthread_create(&t, NULL, in_thread, NULL);
  pthread_join(t, NULL);
  return 0;
}
