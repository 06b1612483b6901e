/* A library whose constructor and destructor print its name (-DNAME=...): several of them,
 * linked into one program or dlopened, show the loader's initialisation order. */
#include <stdio.h>

#define STR2(x) #x
#define STR(x) STR2(x)

__attribute__((constructor)) static void init(void) { printf("init %s\n", STR(NAME)); }
__attribute__((destructor)) static void fini(void) { printf("fini %s\n", STR(NAME)); }
