/* pthreads: a 4-thread sum with pthread_join, a producer/consumer with a mutex and condition
   variables, thread-local storage, a barrier, and a spinning thread that only ends when
   another thread (which must get the CPU) sets a flag. "cancel" as argv[1]: pthread_cancel
   of a thread sleeping in a cancellation point. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#define N 4
static long partial[N];
static __thread int tls_value = 7;
static int tls_seen[N];

static void *sum_part(void *arg)
{
    long id = (long)arg, s = 0;
    tls_value = (int)id * 100;
    for (long i = id * 250000; i < (id + 1) * 250000; i++)
        s += i;
    partial[id] = s;
    usleep(1000);
    tls_seen[id] = tls_value;
    return (void *)(id + 1);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int queue[8], head, count, done;

static void *producer(void *arg)
{
    for (int i = 1; i <= 1000; i++) {
        pthread_mutex_lock(&mu);
        while (count == 8)
            pthread_cond_wait(&not_full, &mu);
        queue[(head + count++) % 8] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&mu);
    }
    pthread_mutex_lock(&mu);
    done = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *consumer(void *arg)
{
    long total = 0;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (count == 0 && !done)
            pthread_cond_wait(&not_empty, &mu);
        if (count == 0 && done) {
            pthread_mutex_unlock(&mu);
            break;
        }
        total += queue[head];
        head = (head + 1) % 8;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&mu);
    }
    return (void *)total;
}

static pthread_barrier_t barrier;
static int arrived;
static void *at_barrier(void *arg)
{
    __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
    pthread_barrier_wait(&barrier);
    return NULL;
}

static void *sleeper(void *arg)
{
    for (;;)
        sleep(10);          /* a cancellation point */
    return NULL;
}

static pthread_mutex_t pi_mu;
static long pi_counter;
static void *pi_worker(void *arg)
{
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&pi_mu);         /* FUTEX_LOCK_PI / FUTEX_UNLOCK_PI when contended */
        pi_counter++;
        pthread_mutex_unlock(&pi_mu);
    }
    return NULL;
}

static int pipefd[2];
static volatile int reading;
static void *reader(void *arg)
{
    char buf[64] = {0};
    reading = 1;
    ssize_t n = read(pipefd[0], buf, sizeof buf - 1);   /* blocks only this thread */
    return (void *)(n == 5 && strcmp(buf, "hello") == 0 ? 1L : 0L);
}

static void *reaper(void *arg)
{
    int status;
    pid_t pid = (pid_t)(long)arg;
    waitpid(pid, &status, 0);                          /* blocks only this thread */
    return (void *)(long)WEXITSTATUS(status);
}

static volatile int flag;
static void *spinner(void *arg)
{
    while (!flag)
        ;
    return NULL;
}
static void *setter(void *arg) { flag = 1; return NULL; }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "cancel") == 0) {
        pthread_t s;
        pthread_create(&s, NULL, sleeper, NULL);
        usleep(20000);
        pthread_cancel(s);
        void *res;
        pthread_join(s, &res);
        printf("cancelled: %d\n", res == PTHREAD_CANCELED);
        return 0;
    }
    pthread_t t[N];
    for (long i = 0; i < N; i++)
        pthread_create(&t[i], NULL, sum_part, (void *)i);
    long total = 0, rets = 0;
    for (int i = 0; i < N; i++) {
        void *r;
        pthread_join(t[i], &r);
        rets += (long)r;
        total += partial[i];
    }
    printf("sum %ld, join values %ld, tls %d %d %d %d, main tls %d\n", total, rets,
           tls_seen[0], tls_seen[1], tls_seen[2], tls_seen[3], tls_value);

    pthread_t p, c1, c2;
    pthread_create(&c1, NULL, consumer, NULL);
    pthread_create(&c2, NULL, consumer, NULL);
    pthread_create(&p, NULL, producer, NULL);
    void *r1, *r2;
    pthread_join(p, NULL);
    pthread_join(c1, &r1);
    pthread_join(c2, &r2);
    printf("producer/consumer total %ld\n", (long)r1 + (long)r2);

    pthread_barrier_init(&barrier, NULL, 4);
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, at_barrier, NULL);
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("barrier passed by %d threads\n", arrived);

    pthread_t sp, st;
    pthread_create(&sp, NULL, spinner, NULL);
    usleep(1000);
    pthread_create(&st, NULL, setter, NULL);
    pthread_join(sp, NULL);
    pthread_join(st, NULL);
    printf("spinner stopped\n");

    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&pi_mu, &ma);
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, pi_worker, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("priority-inheritance mutex counter %ld\n", pi_counter);

    pipe(pipefd);
    pthread_t rd;
    pthread_create(&rd, NULL, reader, NULL);
    while (!reading)
        ;                                   /* the reader must have started */
    usleep(5000);
    write(pipefd[1], "hello", 5);
    void *got;
    pthread_join(rd, &got);
    printf("reader thread got the pipe's data: %ld\n", (long)got);

    pid_t child = fork();
    if (child == 0) {
        usleep(20000);
        _exit(9);
    }
    pthread_t rp;
    pthread_create(&rp, NULL, reaper, (void *)(long)child);
    unsigned long work = 0;
    for (int i = 0; i < 1000000; i++)
        work += i;                          /* runs while the reaper waits */
    void *code;
    pthread_join(rp, &code);
    printf("reaper thread saw exit code %ld (main worked: %d)\n", (long)code, work > 0);
    return 0;
}
