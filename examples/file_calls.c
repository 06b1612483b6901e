/* File-system calls a program sees the results of: locks, truncate, fallocate, links, renames,
 * modes, access, *at calls, openat2's RESOLVE_* rules, statvfs, xattrs, readdir, descriptor limits, umask. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
int main(void) {
  char d[] = "/tmp/m3.XXXXXX"; mkdtemp(d); chdir(d);
  int fd = open("a", O_CREAT | O_RDWR, 0640); write(fd, "abcdef", 6);
  printf("flock %d %d\n", flock(fd, LOCK_EX), flock(fd, LOCK_UN));
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 3}; printf("fcntl lock %d\n", fcntl(fd, F_SETLK, &fl));
  printf("ftruncate %d size ", ftruncate(fd, 3)); struct stat st; fstat(fd, &st); printf("%ld\n", (long)st.st_size);
  printf("fallocate %d\n", posix_fallocate(fd, 0, 8192));
  printf("link %d symlink %d rename %d\n", link("a", "b"), symlink("a", "c"), rename("b", "d"));
  char buf[64] = {0}; printf("readlink %zd %s\n", readlink("c", buf, 63), buf);
  printf("chmod %d fchmodat %d\n", chmod("a", 0600), fchmodat(AT_FDCWD, "d", 0644, 0));
  printf("access %d %d\n", access("a", R_OK), faccessat(AT_FDCWD, "zz", F_OK, 0) == -1 && errno == ENOENT);
  struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
  long o2 = syscall(SYS_openat2, AT_FDCWD, "a", &how, sizeof how); printf("openat2 %d", o2 >= 0); close(o2);
  o2 = syscall(SYS_openat2, AT_FDCWD, "../x", &how, sizeof how); printf(" beneath %s", strerrorname_np(errno));
  how.resolve = RESOLVE_NO_SYMLINKS; o2 = syscall(SYS_openat2, AT_FDCWD, "c", &how, sizeof how);
  printf(" nosymlinks %s", strerrorname_np(errno)); how.flags = 1 << 30;
  o2 = syscall(SYS_openat2, AT_FDCWD, "a", &how, sizeof how); printf(" unknown flag %s\n", strerrorname_np(errno));
  printf("mkdirat %d unlinkat %d\n", mkdirat(AT_FDCWD, "sub", 0755), unlinkat(AT_FDCWD, "sub", AT_REMOVEDIR));
  struct statvfs sv; int svr = statvfs(".", &sv); printf("statvfs %d bsize>0 %d\n", svr, sv.f_bsize > 0);
  printf("setxattr %d\n", setxattr("a", "user.k", "v", 1, 0) == 0 || errno == ENOTSUP);
  int n = 0; DIR *dp = opendir("."); while (readdir(dp)) n++; closedir(dp); printf("entries %d\n", n);
  struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl); printf("nofile soft>0 %d\n", rl.rlim_cur > 0);
  rl.rlim_cur = 100; printf("setrlimit %d\n", setrlimit(RLIMIT_NOFILE, &rl)); getrlimit(RLIMIT_NOFILE, &rl); printf("now %ld\n", (long)rl.rlim_cur);
  int many = 0; for (int i = 0; i < 200; i++) if (dup(0) < 0) { many = errno; break; } printf("dup limit %s\n", strerror(many));
  struct utsname u; uname(&u); printf("sysname %s\n", u.sysname);
  printf("umask %o\n", umask(022));
  unlink("a"); unlink("c"); unlink("d"); chdir("/"); printf("rmdir %d\n", rmdir(d));
  return 0; }
