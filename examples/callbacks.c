/* Library calls made from inside other library calls: qsort calls the comparator, which
   calls printf; exit runs an atexit handler, which calls puts. For ltrace's nesting
   ("<unfinished ...>", "<... qsort resumed>"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	printf("compare %d %d\n", x, y);
	return (x > y) - (x < y);
}

static void goodbye(void)
{
	puts("goodbye");
}

int main(int argc, char **argv)
{
	int v[] = {3, 1, 2};
	char buf[64];
	atexit(goodbye);
	qsort(v, 3, sizeof v[0], compare);
	snprintf(buf, sizeof buf, "%d-%d-%d", v[0], v[1], v[2]);
	printf("%s %s\n", buf, getenv("NO_SUCH_VARIABLE") ? "set" : "unset");
	exit(argc > 1 ? atoi(argv[1]) : 0);
}
