/* Calls what the vDSO answers (clock_gettime, gettimeofday, time, clock_getres, getcpu)
 * and checks the answers are sane; prints only what does not depend on the time, so the
 * output can be compared with the native run.
 *   clocks                 the checks
 *   clocks objects         the objects dl_iterate_phdr lists (the vDSO is one of them)
 *   clocks dlopen          dlopen("linux-vdso.so.1", RTLD_NOLOAD) and dlsym in it
 *   clocks fault CLOCK     clock_gettime(CLOCK, bad pointer): the vDSO does not check the
 *                          pointer (SIGSEGV); a clock it passes to the kernel gets EFAULT */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static int show_object(struct dl_phdr_info *info, size_t size, void *data) {
        printf("object \"%s\" at %s\n", info->dlpi_name, info->dlpi_addr ? "an address" : "0");
        return 0;
}

int main(int argc, char **argv) {
        if (argc > 1 && strcmp(argv[1], "objects") == 0)
                return dl_iterate_phdr(show_object, NULL);
        if (argc > 1 && strcmp(argv[1], "dlopen") == 0) {
                void *vdso = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
                printf("dlopen: %s\n", vdso ? "loaded already" : dlerror());
                time_t (*vtime)(time_t *) = vdso ? (time_t (*)(time_t *))dlsym(vdso, "__vdso_time") : 0;
                printf("dlsym __vdso_time: %s\n", vtime ? "found" : "not found");
                if (vtime)
                        printf("it agrees with time(): %d\n", llabs(vtime(NULL) - time(NULL)) <= 1);
                return 0;
        }
        if (argc > 2 && strcmp(argv[1], "fault") == 0) {
                int r = clock_gettime(atoi(argv[2]), (struct timespec *)8);
                printf("clock_gettime(%d, 8) = %d (%s)\n", atoi(argv[2]), r, strerror(errno));
                return 0;
        }
        static const int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
                                     CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE,
                                     CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_PROCESS_CPUTIME_ID};
        for (unsigned i = 0; i < sizeof clocks / sizeof *clocks; i++) {
                struct timespec a, b, res;
                int ok = clock_gettime(clocks[i], &a) == 0;
                int mono = 1;
                for (int n = 0; n < 1000; n++) {
                        ok &= clock_gettime(clocks[i], &b) == 0;
                        mono &= ns(b) >= ns(a) && b.tv_nsec >= 0 && b.tv_nsec < 1000000000;
                        a = b;
                }
                ok &= clock_getres(clocks[i], &res) == 0 && clock_getres(clocks[i], NULL) == 0;
                printf("clock %d: ok %d, never goes back %d, resolution %s\n", clocks[i], ok,
                       mono, res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000
                       ? "sane" : "odd");
        }
        struct timespec rt;
        struct timeval tv;
        clock_gettime(CLOCK_REALTIME, &rt);
        int g = gettimeofday(&tv, NULL);
        time_t t1, t0 = time(&t1);
        printf("gettimeofday %d, usec in range %d\n", g, tv.tv_usec >= 0 && tv.tv_usec < 1000000);
        printf("time agrees with itself %d, with clock_gettime %d, with gettimeofday %d\n",
               t0 == t1, llabs(t0 - rt.tv_sec) <= 1, llabs(t0 - tv.tv_sec) <= 1);
        printf("after 2020: %d\n", t0 > 1577836800);
        unsigned cpu = 99, node = 99;
        printf("getcpu %d\n", getcpu(&cpu, &node));
        printf("cpu < 1024 %d, node < 64 %d\n", cpu < 1024, node < 64);
        return 0;
}
