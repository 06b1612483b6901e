/* Calls that few programs make but that must behave: sendmmsg/recvmmsg, utimes/utime,
 * splice/tee, sigqueue with a value, sched_setscheduler, pidfd_open. Each result is
 * printed for comparison with the native run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

static volatile int got, val;

static void on_usr1(int s, siginfo_t *si, void *u)
{
    got = s;
    val = si->si_value.sival_int;
    (void)u;
}

int main(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    struct mmsghdr m[3];
    struct iovec io[3];
    char *w[3] = {"one", "two", "three"};
    memset(m, 0, sizeof m);
    for (int i = 0; i < 3; i++) {
        io[i].iov_base = w[i];
        io[i].iov_len = strlen(w[i]);
        m[i].msg_hdr.msg_iov = &io[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(sv[0], m, 3, 0);
    printf("sendmmsg %d lens %u %u %u\n", n, m[0].msg_len, m[1].msg_len, m[2].msg_len);
    char b[3][16];
    memset(b, 0, sizeof b);
    struct iovec ri[3];
    struct mmsghdr r[3];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 3; i++) {
        ri[i].iov_base = b[i];
        ri[i].iov_len = 15;
        r[i].msg_hdr.msg_iov = &ri[i];
        r[i].msg_hdr.msg_iovlen = 1;
    }
    n = recvmmsg(sv[1], r, 3, MSG_WAITFORONE, NULL);
    printf("recvmmsg %d: %s %s %s (%u)\n", n, b[0], b[1], b[2], r[2].msg_len);

    char path[] = "/tmp/more_calls.XXXXXX";
    close(mkstemp(path));
    struct timeval tv[2] = {{1000000, 0}, {2000000, 500000}};
    syscall(SYS_utimes, path, tv);
    struct stat st;
    stat(path, &st);
    printf("utimes mtime %ld.%09ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct utimbuf ub = {3000000, 4000000};
    syscall(SYS_utime, path, &ub);
    stat(path, &st);
    printf("utime mtime %ld\n", (long)st.st_mtim.tv_sec);
    unlink(path);

    int p[2], q[2], c[2];
    pipe(p);
    pipe(q);
    pipe(c);
    write(p[1], "spliced", 7);
    printf("tee %zd\n", tee(p[0], c[1], 7, 0));
    printf("splice %zd\n", splice(p[0], NULL, q[1], NULL, 7, 0));
    char s[8] = {0}, t[8] = {0};
    read(q[0], s, 7);
    read(c[0], t, 7);
    printf("got %s and %s\n", s, t);

    struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO};
    sigaction(SIGUSR1, &sa, NULL);
    union sigval v = {.sival_int = 42};
    printf("sigqueue %d\n", sigqueue(getpid(), SIGUSR1, v));
    printf("got %d value %d\n", got, val);
    struct sched_param sp = {0};
    printf("setscheduler batch %d\n", sched_setscheduler(0, SCHED_BATCH, &sp));
    int pfd = syscall(SYS_pidfd_open, getpid(), 0);
    printf("pidfd %d\n", pfd >= 0);
    return 0;
}
