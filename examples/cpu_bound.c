/* CPU-bound work (a sieve and an LCG over an array): the emulator's raw speed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
        long n = argc > 1 ? atol(argv[1]) : 2000000;
        char *sieve = malloc(n + 1);
        memset(sieve, 1, n + 1);
        long primes = 0;
        for (long i = 2; i <= n; i++) {
                if (!sieve[i]) continue;
                primes++;
                for (long j = i * 2; j <= n; j += i) sieve[j] = 0;
        }
        unsigned long x = 12345, sum = 0;
        unsigned *a = malloc(sizeof(unsigned) * 65536);
        for (long i = 0; i < n; i++) {
                x = x * 6364136223846793005UL + 1442695040888963407UL;
                a[i & 65535] = (unsigned)(x >> 33);
                sum += a[(x >> 20) & 65535];
        }
        printf("primes=%ld sum=%lu\n", primes, sum);
        return 0;
}
