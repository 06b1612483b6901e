/* A replacement for puts, for redirect_puts.py:
   gcc -shared -fPIC -o libmine.so examples/hooks/libmine.c */
#include <stdio.h>

int my_puts(const char *s)
{
	/* puts itself still reaches libc: calls made from this library are not redirected */
	fputs("[my_puts] ", stdout);
	return puts(s);
}
