/* Bad arguments to the calls that wait, signal and pass messages: each result and errno must be
 * the kernel's (which check comes first matters), and none may crash the emulator. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#define T(call) do { errno = 0; long r = call; printf("%-60s = %ld %s\n", #call, r, r < 0 ? strerrorname_np(errno) : ""); } while (0)
int main(void) {
  void *bad = (void *)8;
  T(syscall(SYS_poll, bad, 1, 0));
  T(syscall(SYS_ppoll, bad, 1, bad, NULL, 8));
  T(syscall(SYS_select, 4, bad, NULL, NULL, NULL));
  T(syscall(SYS_pselect6, 4, NULL, NULL, NULL, bad, NULL));
  T(syscall(SYS_epoll_create1, 12345));
  T(syscall(SYS_epoll_ctl, 99, 1, 0, bad));
  int ep = syscall(SYS_epoll_create1, 0);
  T(syscall(SYS_epoll_ctl, ep, 1, 0, bad));
  T(syscall(SYS_epoll_wait, ep, bad, 4, 0));
  T(syscall(SYS_epoll_wait, ep, NULL, -1, 0));
  T(syscall(SYS_signalfd4, -1, bad, 8, 0));
  T(syscall(SYS_signalfd4, 1, NULL, 8, 0));
  T(syscall(SYS_signalfd4, -1, NULL, 7, 0));
  T(syscall(SYS_timerfd_create, 99, 0));
  T(syscall(SYS_timerfd_settime, 0, 0, bad, NULL));
  T(syscall(SYS_inotify_add_watch, 0, bad, 1));
  T(syscall(SYS_sendmmsg, 0, bad, 1, 0));
  T(syscall(SYS_recvmmsg, 0, bad, 1, 0, NULL));
  T(syscall(SYS_rt_sigqueueinfo, getpid(), 10, bad));
  T(syscall(SYS_rt_sigtimedwait, bad, NULL, NULL, 8));
  T(syscall(SYS_splice, 0, bad, 1, NULL, 10, 0));
  T(syscall(SYS_utimes, bad, NULL));
  T(syscall(SYS_getgroups, 10, bad));
  T(syscall(SYS_sched_setscheduler, 0, 0, bad));
  T(syscall(SYS_pidfd_open, -5, 0));
  T(syscall(SYS_ioctl, 0, 0x40049409, 999));
  return 0; }
