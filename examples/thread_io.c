/* Threads that wait in poll, select, epoll_wait, accept, recv, sigwait, signalfd, pause
 * and sigsuspend while another thread runs: each waiter is woken by the main thread, so a
 * wait that blocked every thread would hang here instead of printing. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int p[2];
static volatile long spins;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin(double secs)     /* work the waiter cannot do for us */
{
    double end = now() + secs;
    while (now() < end)
        spins++;
}

static void *poller(void *arg)
{
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    int r = poll(&pf, 1, -1);
    char c;
    read(p[0], &c, 1);
    printf("poll: %d revents %#x byte %c\n", r, pf.revents, c);
    return arg;
}

static void *selecter(void *arg)
{
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {10, 0};
    int r = select(p[0] + 1, &rd, NULL, NULL, &tv);
    char c;
    read(p[0], &c, 1);
    printf("select: %d isset %d byte %c time left < 10s %d\n", r, FD_ISSET(p[0], &rd), c,
           tv.tv_sec < 10);
    return arg;
}

static void *epoller(void *arg)
{
    int ep = *(int *)arg;
    struct epoll_event ev;
    int r = epoll_wait(ep, &ev, 1, -1);
    char c;
    read(p[0], &c, 1);
    printf("epoll_wait: %d data %llu byte %c\n", r, (unsigned long long)ev.data.u64, c);
    return NULL;
}

static void *timed(void *arg)
{
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    double t0 = now();
    int r = poll(&pf, 1, 100);
    double dt = now() - t0;
    printf("timed poll: %d after 0.1s..1s %d\n", r, dt >= 0.09 && dt < 1.0);
    return arg;
}

static void *acceptor(void *arg)
{
    int ls = *(int *)arg;
    int c = accept(ls, NULL, NULL);
    char buf[16] = {0};
    ssize_t n = recv(c, buf, sizeof buf - 1, 0);
    printf("accept: fd ok %d recv %zd \"%s\"\n", c >= 0, n, buf);
    send(c, "pong", 4, 0);
    close(c);
    return NULL;
}

static void *receiver(void *arg)
{
    int s = *(int *)arg;
    char buf[16] = {0};
    ssize_t n = recv(s, buf, sizeof buf - 1, 0);
    printf("recv: %zd \"%s\"\n", n, buf);
    return NULL;
}

static void *sigwaiter(void *arg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    int sig = 0;
    int r = sigwait(&set, &sig);
    printf("sigwait: %d sig %s\n", r, strsignal(sig));
    return arg;
}

static void *sfd_reader(void *arg)
{
    int sfd = *(int *)arg;
    struct signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof si);
    printf("signalfd: %zd signo %s from us %d\n", n, strsignal(si.ssi_signo),
           si.ssi_pid == (uint32_t)getpid());
    return NULL;
}

static volatile int handled;
static void on_usr2(int sig) { handled = sig; }

static void *pauser(void *arg)
{
    int r = pause();
    printf("pause: %d %s handled %d\n", r, strerror(errno), handled == SIGUSR2);
    return arg;
}

static void *suspender(void *arg)
{
    sigset_t none;
    sigemptyset(&none);
    handled = 0;
    int r = sigsuspend(&none);
    printf("sigsuspend: %d %s handled %d\n", r, strerror(errno), handled == SIGUSR2);
    return arg;
}

static void run(void *(*fn)(void *), void *arg, void (*wake)(pthread_t))
{
    pthread_t t;
    long before = spins;
    pthread_create(&t, NULL, fn, arg);
    spin(0.05);                  /* the waiter is waiting by now; we still run */
    wake(t);
    pthread_join(t, NULL);
    printf("  (main ran meanwhile: %d)\n", spins > before);
    fflush(stdout);
}

static void write_byte(pthread_t t) { (void)t; write(p[1], "!", 1); }
static void nothing(pthread_t t) { (void)t; }
static void kill_process(pthread_t t) { (void)t; kill(getpid(), SIGUSR1); }
static void kill_usr2(pthread_t t) { (void)t; kill(getpid(), SIGUSR2); }
static void thread_usr2(pthread_t t) { pthread_kill(t, SIGUSR2); }

static int peer;
static void send_ping(pthread_t t) { (void)t; send(peer, "ping", 4, 0); }
static char sock_path[64];
static void connect_ping(pthread_t t)
{
    (void)t;
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, sock_path);
    connect(c, (struct sockaddr *)&a, sizeof a);
    send(c, "ping", 4, 0);
    char buf[8] = {0};
    recv(c, buf, 4, 0);
    printf("  client got \"%s\"\n", buf);
    close(c);
}

static void *forever(void *arg)
{
    poll(NULL, 0, -1);
    return arg;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "forever") == 0) {  /* every thread waits for good */
        pthread_t t;
        pthread_create(&t, NULL, forever, NULL);
        printf("waiting\n");
        return pthread_join(t, NULL);
    }
    pipe(p);
    run(poller, NULL, write_byte);
    run(selecter, NULL, write_byte);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    run(epoller, &ep, write_byte);
    run(timed, NULL, nothing);

    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    peer = sv[1];
    run(receiver, &sv[0], send_ping);

    snprintf(sock_path, sizeof sock_path, "/tmp/thread_io.%d", getpid());
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, sock_path);
    unlink(sock_path);
    bind(ls, (struct sockaddr *)&a, sizeof a);
    listen(ls, 1);
    run(acceptor, &ls, connect_ping);
    unlink(sock_path);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);      /* every thread made now blocks them */
    run(sigwaiter, NULL, kill_process);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    int sfd = signalfd(-1, &usr2, 0);
    run(sfd_reader, &sfd, kill_usr2);

    signal(SIGUSR2, on_usr2);
    pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
    run(pauser, NULL, thread_usr2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    run(suspender, NULL, thread_usr2);
    return 0;
}
