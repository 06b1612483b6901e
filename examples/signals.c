/* Signal delivery: handlers with siginfo, masks, SA_RESTART, alternate stacks, faults
   recovered with siglongjmp, alarm + pause, sigsuspend, sigtimedwait. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/time.h>

static sigjmp_buf env;
static volatile sig_atomic_t got, alarms, on_altstack;
static char altstack[65536];
static int pipefd[2];

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    char here;
    on_altstack = &here >= altstack && &here < altstack + sizeof altstack;
    got = sig;
    siglongjmp(env, sig);
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    double x = 1.0;
    for (int i = 0; i < 10; i++) x = x * 3.5 + 0.25;    /* clobber the SSE registers */
    got = (si->si_code == SI_TKILL && si->si_pid == getpid()) ? sig : -sig;
}

static void on_alarm(int sig) { alarms++; }
static void on_alarm_write(int sig) { alarms++; write(pipefd[1], "x", 1); }

static volatile long ticks;
static void on_tick(int sig) { ticks++; }

/* A 1 kHz interval timer interrupts a loop of atomic increments: each interruption must
   leave the program exactly where it was (no instruction run twice). */
static int timer_stress(void)
{
    signal(SIGALRM, on_tick);
    struct itimerval it = {.it_interval = {0, 1000}, .it_value = {0, 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    static long mem;
    long reg = 0;
    while (ticks < 200) {
        __atomic_add_fetch(&mem, 1, __ATOMIC_SEQ_CST);
        reg++;
        if (mem != reg) {
            printf("corrupted after %ld ticks: memory %ld, register %ld\n", ticks, mem, reg);
            return 1;
        }
    }
    printf("200 timer signals, no instruction run twice\n");
    return 0;
}

/* A file mapping two pages long over a ten-byte file: its second page has no file behind
   it, and touching it is SIGBUS (BUS_ADRERR), not SIGSEGV. */
static char *short_file_mapping(void)
{
    char path[] = "/tmp/signals.XXXXXX";
    int fd = mkstemp(path);
    write(fd, "0123456789", 10);
    unlink(path);
    char *p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    return p;
}

static volatile int bus_code;
static void *bus_addr;
static void on_bus(int sig, siginfo_t *si, void *uc)
{
    bus_code = si->si_code;
    bus_addr = si->si_addr;
    siglongjmp(env, sig);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "abort") == 0)
        abort();
    if (argc > 1 && strcmp(argv[1], "bus") == 0)
        return short_file_mapping()[4096];
    if (argc > 1 && strcmp(argv[1], "timer-stress") == 0)
        return timer_stress();
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);

    for (int i = 0; i < 2; i++)
        if (sigsetjmp(env, 1) == 0)
            *(volatile int *)8 = 1;
        else
            printf("recovered from SIGSEGV %d (on the alternate stack: %d)\n", i, on_altstack);
    char *map = short_file_mapping();
    struct sigaction bus = {.sa_sigaction = on_bus, .sa_flags = SA_SIGINFO};
    sigaction(SIGBUS, &bus, NULL);
    if (sigsetjmp(env, 1) == 0)
        printf("%c %d\n", map[3], map[4096 + 5]);
    else
        printf("recovered from SIGBUS: code %d at page offset %ld\n", bus_code,
               (long)((char *)bus_addr - map));
    volatile int zero = 0;
    if (sigsetjmp(env, 1) == 0)
        printf("%d\n", 100 / zero);
    else
        printf("recovered from SIGFPE: %d\n", got == SIGFPE);

    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    double keep = 2.5;
    raise(SIGUSR1);
    printf("SIGUSR1 handled with siginfo: %d, double kept: %.2f\n", got == SIGUSR1, keep * 2);

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    got = 0;
    raise(SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    printf("blocked: pending=%d delivered=%d\n", sigismember(&pend, SIGUSR1), got != 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: delivered=%d\n", got == SIGUSR1);

    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    siginfo_t si;
    struct timespec ts = {1, 0};
    int s = sigtimedwait(&set, &si, &ts);
    printf("sigtimedwait: %s\n", s == SIGUSR1 ? "SIGUSR1" : "other");
    sigprocmask(SIG_SETMASK, &old, NULL);

    signal(SIGALRM, on_alarm);
    alarm(1);
    pause();
    printf("alarm + pause: %d alarm(s)\n", alarms);

    struct itimerval it = {.it_value = {0, 200000}};
    sigprocmask(SIG_BLOCK, (sigemptyset(&set), sigaddset(&set, SIGALRM), &set), &old);
    setitimer(ITIMER_REAL, &it, NULL);
    sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("setitimer + sigsuspend: %d alarm(s)\n", alarms);

    pipe(pipefd);
    struct sigaction sr = {.sa_handler = on_alarm_write, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sr, NULL);
    setitimer(ITIMER_REAL, &it, NULL);
    char c;
    ssize_t n = read(pipefd[0], &c, 1);
    printf("SA_RESTART read: %zd %c\n", n, n == 1 ? c : '?');

    struct sigaction nr = {.sa_handler = on_alarm, .sa_flags = 0};
    sigaction(SIGALRM, &nr, NULL);
    setitimer(ITIMER_REAL, &it, NULL);
    n = read(pipefd[0], &c, 1);
    printf("read without SA_RESTART: %zd %s\n", n, n < 0 && errno == EINTR ? "EINTR" : "?");

    struct sigaction rh = {.sa_handler = on_alarm, .sa_flags = SA_RESETHAND};
    sigaction(SIGUSR2, &rh, NULL);
    raise(SIGUSR2);
    struct sigaction now;
    sigaction(SIGUSR2, NULL, &now);
    printf("SA_RESETHAND: reset to default: %d\n", now.sa_handler == SIG_DFL);

    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    printf("ignored SIGUSR2\n");
    fflush(stdout);
    raise(SIGTERM);
    printf("not reached\n");
    return 0;
}
