/* Interposes `value` (exported with -rdynamic): a DT_SYMBOLIC library ignores that. */
#include <stdio.h>

int value = 2;
int get(void);

int main(void)
{
    printf("get() = %d\n", get());
    return get();
}
