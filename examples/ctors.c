/* Constructor, atexit handler and destructor: who runs them, in which order. */
#include <stdio.h>
#include <stdlib.h>
__attribute__((constructor)) static void c1(void) { printf("constructor\n"); }
__attribute__((destructor)) static void d1(void) { printf("destructor\n"); }
static void bye(void) { printf("atexit\n"); }
int main(void) { atexit(bye); printf("main\n"); return 0; }
