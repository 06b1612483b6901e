/* "Why does hello world return 13?" main is declared void, so it returns nothing: the
 * exit status is whatever is left in eax when main returns, and that is printf's return
 * value, the 13 bytes it printed. The %s keeps gcc from turning printf into puts. */
#include <stdio.h>

void main(int argc, char **argv) {
        printf("hello %s!\n", argc > 1 ? argv[1] : "world");
}
