/* dlopen, dlsym and their errors: libm's cos, a missing library, a missing symbol. */
#include <dlfcn.h>
#include <stdio.h>

int main(void) {
        void *h = dlopen("libm.so.6", RTLD_NOW);
        if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
        double (*c)(double) = (double (*)(double))dlsym(h, "cos");
        printf("cos(0)=%.1f\n", c(0.0));
        void *s = dlsym(h, "no_such_symbol");
        printf("%s\n", s ? "found?!" : dlerror());
        void *n = dlopen("libnotthere.so.9", RTLD_NOW);
        printf("%s\n", n ? "opened?!" : dlerror());
        dlclose(h);
        return 0;
}
