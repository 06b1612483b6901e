/* Two threads hand a token back and forth through semaphores (futex wait and wake):
   prints the cost of one round trip (two thread switches) and the latency from a
   sem_post to the woken thread running. Usage: pingpong [ROUNDS] */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static sem_t ping, pong;
static long rounds;
static struct timespec posted;
static double latency_ns;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *partner(void *arg)
{
    for (long i = 0; i < rounds; i++) {
        sem_wait(&ping);
        latency_ns += now_ns() - (posted.tv_sec * 1e9 + posted.tv_nsec);
        sem_post(&pong);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 10000;
    sem_init(&ping, 0, 0);
    sem_init(&pong, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, partner, NULL);
    double start = now_ns();
    for (long i = 0; i < rounds; i++) {
        clock_gettime(CLOCK_MONOTONIC, &posted);
        sem_post(&ping);
        sem_wait(&pong);
    }
    double total = now_ns() - start;
    pthread_join(t, NULL);
    printf("round trip %.2f us, wake latency %.2f us\n", total / rounds / 1e3,
           latency_ns / rounds / 1e3);
    return 0;
}
