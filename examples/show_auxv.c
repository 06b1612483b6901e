/* Prints what the kernel half put on the initial stack: argc, argv, envp and the auxv
 * entries whose values do not depend on addresses (those are checked by the tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
        printf("argc=%d\n", argc);
        for (int i = 0; i < argc; i++)
                printf("argv[%d]=%s\n", i, argv[i]);
        int envc = 0;
        for (char **e = environ; *e; e++)
                envc++;
        printf("envc=%d\n", envc);
        const char *greeting = getenv("GREETING");
        printf("GREETING=%s\n", greeting ? greeting : "(unset)");
        printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
        printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
        printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
        printf("AT_UID=%lu AT_EUID=%lu AT_GID=%lu AT_EGID=%lu\n", getauxval(AT_UID),
               getauxval(AT_EUID), getauxval(AT_GID), getauxval(AT_EGID));
        printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
        printf("AT_PLATFORM=%s\n", (const char *)getauxval(AT_PLATFORM));
        printf("AT_EXECFN=%s\n", (const char *)getauxval(AT_EXECFN));
        printf("AT_RANDOM is readable: %d\n", ((unsigned char *)getauxval(AT_RANDOM))[0] >= 0);
        printf("AT_ENTRY is in the executable: %d\n", getauxval(AT_ENTRY) != 0);
        printf("page size from sysconf=%ld\n", sysconf(_SC_PAGESIZE));
        const char *vdso = (const char *)getauxval(AT_SYSINFO_EHDR);
        printf("AT_SYSINFO_EHDR is an ELF image: %d\n", vdso && memcmp(vdso, "\177ELF", 4) == 0);
        return 0;
}
