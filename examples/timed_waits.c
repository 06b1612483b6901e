/* Short timed waits in two threads: each pthread_cond_timedwait's deadline has often passed
 * by the time the waiter is parked, and every call must still return what the kernel would
 * (0 or ETIMEDOUT) to the thread that made it, never to a later call of that thread (an
 * mmap between the waits checks that).
 *   ./timed_waits [ROUNDS] */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long rounds = 2000;

static void *waiter(void *arg) {
  long bad = 0;
  for (long i = 0; i < rounds; i++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 1000 + (i % 50) * 1000;          /* 1 to 50 us from now */
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&lock);
    int r = pthread_cond_timedwait(&cond, &lock, &ts);
    pthread_mutex_unlock(&lock);
    if (r != 0 && r != ETIMEDOUT) bad++;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) bad++;
    else munmap(p, 4096);
  }
  return (void *)bad;
}

int main(int argc, char **argv) {
  if (argc > 1) rounds = atol(argv[1]);
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, waiter, NULL);
  long bad = 0;
  for (int i = 0; i < 2; i++) {
    void *r;
    pthread_join(t[i], &r);
    bad += (long)r;
  }
  printf("%ld timed waits, %ld wrong results\n", 2 * rounds, bad);
  return bad != 0;
}
