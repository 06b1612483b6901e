/* Linked against several ctor_lib.c libraries (and dlopens argv[1] if given): the order of
 * their constructors and destructors is glibc's _dl_sort_maps order. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("main\n");
    if (argc > 1) {
        void *h = dlopen(argv[1], RTLD_NOW);
        printf("dlopen %s\n", h ? "ok" : dlerror());
    }
    return 0;
}
