/* _FORTIFY_SOURCE=2's %n check: printf_chk accepts %n only from a read-only format string.
   glibc 2.43 asks ld.so (GLRO(dl_readonly_area)) where the format lies; with an argument,
   the format is copied to the stack first, and the program must abort. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int n = 0;
    printf("abc%n|\n", &n);                 /* in .rodata: allowed */
    printf("n=%d\n", n);
    fflush(stdout);
    if (argc > 1) {
        char fmt[16];
        strcpy(fmt, "xy%n\n");
        printf(fmt, &n);                     /* on the stack: "%n in writable segment" */
    }
    return n;
}
