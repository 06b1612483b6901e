/* Tens of thousands of small writes: the syscall path's cost. ./syscall_heavy [N] */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
        long n = argc > 1 ? atol(argv[1]) : 20000;
        for (long i = 0; i < n; i++)
                if (write(1, "x\n", 2) != 2)
                        return 1;
        return 0;
}
