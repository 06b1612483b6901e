/* Synchronisation between processes: a process-shared mutex and condition variable in a
 * MAP_SHARED|MAP_ANONYMOUS page after fork, a named semaphore (sem_open: a /dev/shm file
 * mapped by both), and POSIX shared memory opened by name in each process. Each waits in a
 * futex that only the other process wakes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    long counter;
    int turn;
};

int main(void)
{
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&s->lock, &ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&s->cond, &ca);

    char name[64];
    snprintf(name, sizeof name, "/shared_sync.%d", getpid());
    sem_t *sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    int shm = shm_open(name, O_CREAT | O_RDWR, 0600);
    ftruncate(shm, 4096);

    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 20000; i++) {           /* contention on the mutex */
            pthread_mutex_lock(&s->lock);
            s->counter++;
            pthread_mutex_unlock(&s->lock);
        }
        pthread_mutex_lock(&s->lock);               /* the parent waits for our turn */
        s->turn = 1;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        int fd = shm_open(name, O_RDWR, 0);          /* the same shm, opened by name */
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        snprintf(p, 64, "written by the child");
        sem_t *mine = sem_open(name, 0);
        usleep(20000);
        sem_post(mine);                              /* wakes the parent's sem_wait */
        _exit(0);
    }
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&s->lock);
        s->counter++;
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_lock(&s->lock);
    while (!s->turn)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
    sem_wait(sem);
    char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, shm, 0);
    int status;
    waitpid(pid, &status, 0);
    printf("counter %ld (both processes' increments)\n", s->counter);
    printf("condition signalled: turn %d\n", s->turn);
    printf("semaphore posted by the child, shm says: %s\n", p);
    printf("child exit %d\n", WEXITSTATUS(status));
    sem_unlink(name);
    shm_unlink(name);
    return 0;
}
