/* The run-time linker's services as a program sees them: dladdr, dlinfo, dl_iterate_phdr,
 * dlvsym, backtrace (libgcc_s dlopened by libc) and iconv (gconv modules dlopened by libc).
 * Built with -rdynamic so backtrace_symbols can name the program's own functions.
 * Prints no addresses, only names and offsets, so the output is the same on every run. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <iconv.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data) {
  int *n = data;
  const char *slash = strrchr(info->dlpi_name, '/');
  const char *name = slash ? slash + 1 : info->dlpi_name[0] ? info->dlpi_name : "(program)";
  if (strstr(name, "linux-vdso")) return 0;          /* the emulator maps no vDSO */
  printf("phdr %d: %s phnum=%d tls_modid=%zu %s\n", (*n)++, name, info->dlpi_phnum,
         info->dlpi_tls_modid, size >= sizeof *info ? "full" : "short");
  return 0;
}

static void show_addr(const char *what, void *p) {
  Dl_info di;
  if (!dladdr(p, &di)) { printf("dladdr %s: none\n", what); return; }
  const char *file = strrchr(di.dli_fname, '/');
  printf("dladdr %s: file=%s sym=%s off=0x%lx\n", what, file ? file + 1 : di.dli_fname,
         di.dli_sname ? di.dli_sname : "(null)",
         di.dli_saddr ? (unsigned long)((char *)p - (char *)di.dli_saddr) : 0UL);
}

void __attribute__((noinline)) inner(void) {
  void *frames[16];
  int n = backtrace(frames, 16);
  char **names = backtrace_symbols(frames, n);
  for (int i = 0; i < n && i < 3; i++) {      /* ours: inner, outer, main */
    char *cut = strchr(names[i], '[');
    if (cut) *cut = 0;
    char *slash = strrchr(names[i], '/');
    printf("backtrace %d: %s\n", i, slash ? slash + 1 : names[i]);
  }
  free(names);
}

void __attribute__((noinline)) outer(void) { inner(); __asm__ volatile(""); }

int main(void) {
  show_addr("printf", (void *)printf);
  show_addr("printf+3", (char *)printf + 3);
  show_addr("main", (void *)main);
  show_addr("environ", (void *)&environ);

  void *libm = dlopen("libm.so.6", RTLD_NOW);
  struct link_map *lm = NULL;
  if (!libm || dlinfo(libm, RTLD_DI_LINKMAP, &lm) != 0) { printf("dlinfo: %s\n", dlerror()); return 1; }
  printf("dlinfo linkmap: %s\n", strrchr(lm->l_name, '/') + 1);
  char origin[4096];
  dlinfo(libm, RTLD_DI_ORIGIN, origin);
  printf("dlinfo origin: %s\n", origin);
  Lmid_t lmid = -1;
  dlinfo(libm, RTLD_DI_LMID, &lmid);
  printf("dlinfo lmid: %ld\n", (long)lmid);
  size_t modid = 99;
  void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  dlinfo(libc, RTLD_DI_TLS_MODID, &modid);
  printf("dlinfo libc tls modid: %zu\n", modid);
  void *self = dlopen(NULL, RTLD_NOW), *self2 = dlopen(NULL, RTLD_LAZY);
  printf("dlopen(NULL): main %d, same handle %d\n", dlsym(self, "main") == (void *)main,
         self == self2);
  dlclose(self2);
  void *cos_p = dlsym(libm, "cos");
  show_addr("cos", cos_p);

  void *m1 = dlvsym(RTLD_DEFAULT, "memcpy", "GLIBC_2.2.5");
  void *m2 = dlvsym(RTLD_DEFAULT, "memcpy", "GLIBC_2.14");
  void *m3 = dlvsym(RTLD_DEFAULT, "memcpy", "GLIBC_9.9");
  printf("dlvsym memcpy: 2.2.5 %s, 2.14 %s, same %d, 9.9 %s\n", m1 ? "found" : "missing",
         m2 ? "found" : "missing", m1 == m2, m3 ? "found" : "missing");
  show_addr("memcpy@GLIBC_2.2.5", m1);
  void *r1 = dlvsym(libc, "realpath", "GLIBC_2.2.5"), *r2 = dlvsym(libc, "realpath", "GLIBC_2.3");
  printf("dlvsym realpath: differ %d, default is 2.3 %d\n", r1 != r2, dlsym(libc, "realpath") == r2);

  int n = 0;
  dl_iterate_phdr(phdr_cb, &n);

  outer();

  iconv_t cd = iconv_open("ISO-8859-15", "UTF-8");
  if (cd == (iconv_t)-1) { perror("iconv_open"); return 1; }
  char in[] = "caf\xc3\xa9 \xe2\x82\xac", out[32] = {0};
  char *ip = in, *op = out;
  size_t il = strlen(in), ol = sizeof out;
  size_t r = iconv(cd, &ip, &il, &op, &ol);
  printf("iconv: %zu ->", r);
  for (char *p = out; p < op; p++) printf(" %02x", (unsigned char)*p);
  printf("\n");
  iconv_close(cd);
  cd = iconv_open("EBCDIC-US", "ASCII");
  printf("iconv EBCDIC-US: %s\n", cd == (iconv_t)-1 ? "unavailable" : "open");
  return 0;
}
