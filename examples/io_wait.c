/* Waiting for descriptors, the single-threaded way: poll, ppoll, select, pselect,
 * epoll, timerfd, signalfd, eventfd and inotify. Every result is printed, so a run under
 * pyloader can be compared with the native one (and its trace with strace's). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_usr2(int sig) { (void)sig; }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "forever") == 0) {
        printf("waiting\n");           /* until a signal ends us */
        fflush(stdout);
        return poll(NULL, 0, -1);
    }
    int p[2];
    if (pipe(p) < 0)
        return 1;

    int bad = dup(0);                   /* a descriptor that is surely closed */
    close(bad);
    /* poll: a timeout, then a ready pipe, then a closed descriptor (POLLNVAL) */
    struct pollfd pf[2] = {{.fd = p[0], .events = POLLIN}, {.fd = bad, .events = POLLIN}};
    double t0 = now();
    int r = poll(pf, 1, 50);
    printf("poll timeout: %d after >=40ms: %d\n", r, now() - t0 >= 0.04);
    write(p[1], "x", 1);
    r = poll(pf, 2, -1);
    printf("poll ready: %d revents %#x %#x\n", r, pf[0].revents, pf[1].revents);

    /* ppoll with a mask that blocks SIGUSR2 while it waits */
    struct timespec ts = {0, 20 * 1000 * 1000};
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR2);
    r = ppoll(pf, 1, &ts, &mask);
    printf("ppoll: %d revents %#x\n", r, pf[0].revents);

    /* select: ready, then a timeout that writes the time left back */
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {1, 0};
    r = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select ready: %d isset %d left>0.9s %d\n", r, FD_ISSET(p[0], &rd),
           tv.tv_sec == 0 && tv.tv_usec > 900000);
    char c;
    read(p[0], &c, 1);
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    tv.tv_sec = 0;
    tv.tv_usec = 30000;
    r = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select timeout: %d isset %d left %ld.%06ld\n", r, FD_ISSET(p[0], &rd),
           (long)tv.tv_sec, (long)tv.tv_usec);
    fd_set wr;
    FD_ZERO(&wr);
    FD_SET(p[1], &wr);
    ts.tv_nsec = 0;
    r = pselect(p[1] + 1, NULL, &wr, NULL, &ts, &mask);
    printf("pselect writable: %d isset %d\n", r, FD_ISSET(p[1], &wr));
    FD_ZERO(&rd);
    FD_SET(bad, &rd);
    r = select(bad + 1, &rd, NULL, NULL, &tv);
    printf("select bad fd: %d %s\n", r, strerror(errno));

    /* epoll on the pipe and on an eventfd */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int ev = eventfd(0, EFD_CLOEXEC);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
    e.events = EPOLLIN | EPOLLET;
    e.data.fd = ev;
    epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e);
    struct epoll_event out[4];
    r = epoll_wait(ep, out, 4, 10);
    printf("epoll_wait empty: %d\n", r);
    uint64_t one = 3;
    write(ev, &one, 8);
    write(p[1], "y", 1);
    r = epoll_wait(ep, out, 4, 1000);
    printf("epoll_wait: %d\n", r);
    for (int i = 0; i < r; i++)
        printf("  events %#x data %#llx\n", out[i].events, (unsigned long long)out[i].data.u64);
    r = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
    printf("epoll_ctl again: %d %s\n", r, strerror(errno));
    epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
    r = epoll_pwait(ep, out, 4, 0, &mask);
    printf("epoll_pwait after del (edge-triggered eventfd already reported): %d\n", r);
    r = epoll_wait(ep, out, 0, 0);
    printf("epoll_wait maxevents 0: %d %s\n", r, strerror(errno));
    read(ev, &one, 8);
    printf("eventfd counter: %llu\n", (unsigned long long)one);

    /* timerfd: two expirations 10 ms apart, read as one count */
    int tf = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = {{0, 10 * 1000 * 1000}, {0, 10 * 1000 * 1000}};
    timerfd_settime(tf, 0, &its, NULL);
    struct pollfd tp = {.fd = tf, .events = POLLIN};
    poll(&tp, 1, -1);
    usleep(25000);
    uint64_t exp = 0;
    read(tf, &exp, 8);
    printf("timerfd expirations >= 2: %d\n", exp >= 2);
    struct itimerspec cur;
    timerfd_gettime(tf, &cur);
    printf("timerfd interval %ld ns\n", cur.it_interval.tv_nsec);

    /* signalfd: SIGUSR1 blocked, raised, read from the descriptor */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    int sf = signalfd(-1, &usr1, SFD_CLOEXEC | SFD_NONBLOCK);
    struct signalfd_siginfo si;
    r = read(sf, &si, sizeof si);
    printf("signalfd empty: %d %s\n", r, strerror(errno));
    raise(SIGUSR1);
    struct pollfd sp = {.fd = sf, .events = POLLIN};
    printf("signalfd poll: %d\n", poll(&sp, 1, 1000));
    r = read(sf, &si, sizeof si);
    printf("signalfd read: %d signo %u code %d pid ok %d\n", r, si.ssi_signo, si.ssi_code,
           si.ssi_pid == (uint32_t)getpid());
    sigset_t pending;
    sigpending(&pending);
    printf("still pending: %d\n", sigismember(&pending, SIGUSR1));

    /* a child's SIGCHLD, blocked, comes through a signalfd that poll waits on (the signal
       comes from outside the emulated process: the host's) */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int cfd = signalfd(-1, &chld, SFD_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(30000);
        _exit(7);
    }
    struct pollfd cp[2] = {{.fd = -1, .events = POLLIN}, {.fd = cfd, .events = POLLIN}};
    r = poll(cp, 2, 5000);
    read(cfd, &si, sizeof si);
    int status;
    waitpid(pid, &status, 0);
    printf("SIGCHLD by signalfd: poll %d signo %u status %d pid ok %d\n", r, si.ssi_signo,
           si.ssi_status, si.ssi_pid == (uint32_t)pid);

    /* a signal that arrives during ppoll is handled, and ppoll says EINTR */
    signal(SIGUSR2, on_usr2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    raise(SIGUSR2);                        /* pending: ppoll's empty mask lets it in */
    ts.tv_sec = 5;
    r = ppoll(&tp, 0, &ts, &none);
    printf("ppoll interrupted: %d %s\n", r, strerror(errno));

    /* inotify on a fresh directory */
    char dir[] = "/tmp/io_wait.XXXXXX";
    if (mkdtemp(dir)) {
        int in = inotify_init1(IN_CLOEXEC);
        int wd = inotify_add_watch(in, dir, IN_CREATE | IN_DELETE);
        char path[64];
        snprintf(path, sizeof path, "%s/f", dir);
        close(open(path, O_CREAT | O_WRONLY, 0600));
        unlink(path);
        char buf[512] __attribute__((aligned(8)));
        ssize_t n = read(in, buf, sizeof buf);
        for (char *q = buf; q < buf + n;) {
            struct inotify_event *ie = (struct inotify_event *)q;
            printf("inotify: wd ok %d mask %#x name %s\n", ie->wd == wd, ie->mask,
                   ie->len ? ie->name : "");
            q += sizeof *ie + ie->len;
        }
        inotify_rm_watch(in, wd);
        rmdir(dir);
    }
    return 0;
}
