/* Library search: dlopen each NAME (no '/', so ld.so searches DT_RPATH, LD_LIBRARY_PATH,
 * DT_RUNPATH, /etc/ld.so.cache and the system directories, each with its hwcaps
 * subdirectories) and say what happened.
 *   ./search_demo NAME... */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (dlopen(argv[i], RTLD_NOW)) {
      printf("%s: loaded\n", argv[i]);
      continue;
    }
    const char *e = dlerror(), *tail = strstr(e, argv[i]);
    printf("%s: %s\n", argv[i], tail ? tail : e);
  }
  return 0;
}
