/* A function called N times (default 1000000): scripts/bench_hooks.py hooks it and
   measures the cost of each hooked call. ./hook_bench [N] */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) long add_one(long x)
{
	__asm__ volatile("");
	return x + 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, sum = 0;
	for (long i = 0; i < n; i++)
		sum = add_one(sum);
	printf("%ld\n", sum);
	return 0;
}
