/* The program the hook examples (examples/hooks/) act on: time, malloc, fopen, and qsort
   calling a static comparator from inside libc. ./hooks_demo [FILE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int by_value(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int v[] = {5, 3, 9, 1, 7};
	time_t now = time(NULL);
	printf("time: %ld\n", (long)now);
	for (int i = 0; i < 6; i++) {
		char *p = malloc(32);
		printf("malloc %d: %s\n", i, p ? "ok" : "NULL");
		free(p);
	}
	qsort(v, 5, sizeof v[0], by_value);
	printf("sorted: %d %d %d %d %d\n", v[0], v[1], v[2], v[3], v[4]);
	FILE *f = fopen(argc > 1 ? argv[1] : "/etc/hostname", "r");
	printf("fopen: %s\n", f ? "ok" : "failed");
	if (f)
		fclose(f);
	char *copy = strdup(argv[0]);
	printf("%s: %zu bytes, %.3f %c%c\n", strrchr(copy, '/') ? "path" : "name",
	       strlen(copy), argc * 0.5, 'o', 'k');
	free(copy);
	return 0;
}
