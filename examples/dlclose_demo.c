/* dlopen and dlclose: the library (and the dependencies only it needed) run their
 * destructors and leave the address space; opened twice, it needs two closes; opened again,
 * it is loaded again and its constructors run again. Usage: dlclose_demo LIB DEP */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static int mapped(const char *name)
{
    char line[512];
    int n = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    while (fgets(line, sizeof line, f))
        n += strstr(line, name) != NULL;
    fclose(f);
    return n > 0;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    const char *lib = argv[1], *dep = strrchr(argv[2], '/') + 1;
    void *h = dlopen(lib, RTLD_NOW);
    void *h2 = dlopen(lib, RTLD_NOW);
    printf("opened twice: %d, same handle %d, %s mapped %d\n", h && h2, h == h2, dep,
           mapped(dep));
    printf("first close: %d, still mapped %d\n", dlclose(h2), mapped(dep));
    printf("second close: %d\n", dlclose(h));
    printf("after: %s mapped %d\n", dep, mapped(dep));
    h = dlopen(lib, RTLD_NOW);
    printf("opened again: %d\n", h != NULL);
    dlclose(h);
    printf("done\n");
    return 0;
}
