/* The article's first program. With `void main` the exit status is whatever is left in
 * eax: printf's return value, 13 (the number of bytes printed). */
#include <stdio.h>

void main() {
        printf("hello world!\n");
}
