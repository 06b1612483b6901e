"""The x86-64 system call table, as data (the role of strace's syscallent.h).

One row per syscall:  NR NAME ARGKINDS CLASSES [RET]
- ARGKINDS: comma-separated decoder kinds, one per argument ("-" for none). The kinds are
  those of syscalls.decode.DECODERS:
    d        C int, signed decimal            ld   long, signed decimal
    u        unsigned decimal (size_t)        x    hex                 p   pointer (NULL/0x..)
    o        octal mode (0644)                fd   file descriptor     dirfd  AT_FDCWD or fd
    path     C string, a path (input)         str  C string (input)
    ibuf:N   input buffer, length in argument N (0-based)
    obuf:N   output buffer; length = return value; decoded on exit
    iov:N    input iovec array, count in argument N   oiov:N  output iovec array
    flags:T  OR'd names from xlat table T     enum:T  one name from xlat table T
    sig      a signal number                  argv  string array    envp  environment array
    s:NAME   input struct NAME    os:NAME  output struct NAME (decoded on exit, raw pointer on
             failure); NAME is a struct of syscalls.structs (stat, statx, statfs, timespec,
             timeval, rlimit, utsname, sysinfo, tms, rusage, sigset, sigaction, pollfd, ...)
    fds2     int[2] output (pipe, socketpair)
    pollfd:N poll's array, count in argument N      fd_set:N  select's set N (size: arg 0)
    oepoll   epoll_wait's output events (count = return value)
    sockproto  socket's protocol, named by the domain    socklen  an address length pointer
    gids:N   gid_t array, count in argument N    ogids  getgroups' output (count = result)
    orem     nanosleep's remaining time: the struct when interrupted, else the pointer
    ocwd     getcwd's buffer: the path it stored (the result counts its NUL)
- CLASSES: comma-separated strace classes (file, desc, memory, process, signal, network, ipc,
  creds, stat, lstat, fstat, statfs, fstatfs, clock, pure) or "-".
- RET: how the result prints: d (default), x (hex: mmap, brk), fd, none (no return: exit).
"""
from __future__ import annotations

from typing import NamedTuple


class Syscall(NamedTuple):
    nr: int
    name: str
    args: tuple[str, ...]
    classes: frozenset[str]
    ret: str


_ROWS = """
# 0..334: x86-64's own numbers.  Argument counts and classes are those of strace's syscallent.h
# (x86_64); kinds follow what strace 6.1 prints, the closest kind (x, p) where none fits.
  0 read                    fd,obuf:2,u                                        desc
  1 write                   fd,ibuf:2,u                                        desc
  2 open                    path,flags:open,o                                  file,desc fd
  3 close                   fd                                                 desc
  4 stat                    path,os:stat                                       file,stat
  5 fstat                   fd,os:stat                                         desc,fstat
  6 lstat                   path,os:stat                                       file,lstat
  7 poll                    pollfd:1,u,d                                       desc
  8 lseek                   fd,ld,enum:seek_whence                             desc
  9 mmap                    p,u,flags:mmap_prot,flags:mmap_flags,fd,x          desc,memory x
 10 mprotect                p,u,flags:mmap_prot                                memory
 11 munmap                  p,u                                                memory
 12 brk                     p                                                  memory x
 13 rt_sigaction            sig,s:sigaction,os:sigaction,u                     signal
 14 rt_sigprocmask          enum:sigprocmask_how,s:sigset,os:sigset,u          signal
 15 rt_sigreturn            -                                                  signal
 16 ioctl                   fd,enum:ioctl,x                                    desc
 17 pread64                 fd,obuf:2,u,ld                                     desc
 18 pwrite64                fd,ibuf:2,u,ld                                     desc
 19 readv                   fd,oiov:2,u                                        desc
 20 writev                  fd,iov:2,u                                         desc
 21 access                  path,flags:access                                  file
 22 pipe                    fds2                                               desc
 23 select                  d,fd_set:1,fd_set:2,fd_set:3,s:timeval             desc
 24 sched_yield             -                                                  -
 25 mremap                  p,u,u,flags:mremap,p                               memory x
 26 msync                   p,u,flags:msync                                    memory
 27 mincore                 p,u,p                                              memory
 28 madvise                 p,u,enum:madvise                                   memory
 29 shmget                  enum:ipc_key,u,flags:shm_get                       ipc
 30 shmat                   d,p,flags:shmat                                    memory,ipc x
 31 shmctl                  d,enum:shmctl_cmd,p                                ipc
 32 dup                     fd                                                 desc fd
 33 dup2                    fd,fd                                              desc fd
 34 pause                   -                                                  signal
 35 nanosleep               s:timespec,orem                                    -
 36 getitimer               enum:itimer_which,os:itimerval                     -
 37 alarm                   u                                                  -
 38 setitimer               enum:itimer_which,s:itimerval,os:itimerval         -
 39 getpid                  -                                                  pure
 40 sendfile                fd,fd,s:loff,u                                     desc,network
 41 socket                  enum:socket_domain,flags:socket_type,sockproto        network fd
 42 connect                 fd,s:sockaddr,d                                    network
 43 accept                  fd,os:sockaddr,socklen                             network fd
 44 sendto                  fd,ibuf:2,u,flags:msg_flags,s:sockaddr,d           network
 45 recvfrom                fd,obuf:2,u,flags:msg_flags,os:sockaddr,socklen network
 46 sendmsg                 fd,s:msghdr,flags:msg_flags                        network
 47 recvmsg                 fd,os:msghdr,flags:msg_flags                       network
 48 shutdown                fd,enum:shutdown_how                               network
 49 bind                    fd,s:sockaddr,d                                    network
 50 listen                  fd,d                                               network
 51 getsockname             fd,os:sockaddr,socklen                             network
 52 getpeername             fd,os:sockaddr,socklen                             network
 53 socketpair              enum:socket_domain,flags:socket_type,sockproto,fds2     network
 54 setsockopt              fd,enum:socket_level,enum:sockopt_socket,s:sockopt,d network
 55 getsockopt              fd,enum:socket_level,enum:sockopt_socket,os:sockopt,os:socklen network
 56 clone                   flags:clone,p,p,p,x                                process
 57 fork                    -                                                  process
 58 vfork                   -                                                  process
 59 execve                  path,argv,envp                                     file,process
 60 exit                    d                                                  process none
 61 wait4                   d,os:wait_status,flags:wait,os:rusage              process
 62 kill                    d,sig                                              process,signal
 63 uname                   os:utsname                                         -
 64 semget                  enum:ipc_key,d,flags:ipc_get                       ipc
 65 semop                   d,s:sembuf,u                                       ipc
 66 semctl                  d,d,enum:semctl_cmd,p                              ipc
 67 shmdt                   p                                                  memory,ipc
 68 msgget                  enum:ipc_key,flags:ipc_get                         ipc
 69 msgsnd                  d,s:msgbuf,u,flags:ipc_msg                         ipc
 70 msgrcv                  d,os:msgbuf,u,ld,flags:ipc_msg                     ipc
 71 msgctl                  d,enum:msgctl_cmd,p                                ipc
 72 fcntl                   fd,enum:fcntl,x                                    desc
 73 flock                   fd,flags:flock                                     desc
 74 fsync                   fd                                                 desc
 75 fdatasync               fd                                                 desc
 76 truncate                path,ld                                            file
 77 ftruncate               fd,ld                                              desc
 78 getdents                fd,os:dirent,u                                     desc
 79 getcwd                  ocwd,u                                             file
 80 chdir                   path                                               file
 81 fchdir                  fd                                                 desc
 82 rename                  path,path                                          file
 83 mkdir                   path,o                                             file
 84 rmdir                   path                                               file
 85 creat                   path,o                                             file,desc fd
 86 link                    path,path                                          file
 87 unlink                  path                                               file
 88 symlink                 path,path                                          file
 89 readlink                path,obuf:2,u                                      file
 90 chmod                   path,o                                             file
 91 fchmod                  fd,o                                               desc
 92 chown                   path,d,d                                           file
 93 fchown                  fd,d,d                                             desc
 94 lchown                  path,d,d                                           file
 95 umask                   o                                                  -
 96 gettimeofday            os:timeval,os:timezone                             clock
 97 getrlimit               enum:rlimit,os:rlimit                              -
 98 getrusage               enum:rusage_who,os:rusage                          -
 99 sysinfo                 os:sysinfo                                         -
100 times                   os:tms                                             -
101 ptrace                  enum:ptrace,d,x,x                                  -
102 getuid                  -                                                  creds,pure
103 syslog                  enum:syslog,p,d                                    -
104 getgid                  -                                                  creds,pure
105 setuid                  d                                                  creds
106 setgid                  d                                                  creds
107 geteuid                 -                                                  creds,pure
108 getegid                 -                                                  creds,pure
109 setpgid                 d,d                                                -
110 getppid                 -                                                  pure
111 getpgrp                 -                                                  pure
112 setsid                  -                                                  -
113 setreuid                d,d                                                creds
114 setregid                d,d                                                creds
115 getgroups               d,ogids                                            creds
116 setgroups               d,gids:0                                           creds
117 setresuid               d,d,d                                              creds
118 getresuid               os:uid,os:uid,os:uid                               creds
119 setresgid               d,d,d                                              creds
120 getresgid               os:uid,os:uid,os:uid                               creds
121 getpgid                 d                                                  -
122 setfsuid                d                                                  creds
123 setfsgid                d                                                  creds
124 getsid                  d                                                  -
125 capget                  s:cap_header,os:cap                                creds
126 capset                  s:cap_header,s:cap                                 creds
127 rt_sigpending           os:sigset,u                                        signal
128 rt_sigtimedwait         s:sigset,os:siginfo,s:timespec,u                   signal
129 rt_sigqueueinfo         d,sig,s:siginfo                                    process,signal
130 rt_sigsuspend           s:sigset,u                                         signal
131 sigaltstack             s:stack_t,os:stack_t                               signal
132 utime                   path,s:utimbuf                                     file
133 mknod                   path,flags:file_mode,x                             file
134 uselib                  path                                               file
135 personality             flags:personality                                  - x
136 ustat                   x,os:ustat                                         -
137 statfs                  path,os:statfs                                     file,statfs
138 fstatfs                 fd,os:statfs                                       desc,fstatfs
139 sysfs                   x,x,x                                              -
140 getpriority             enum:priority_which,d                              -
141 setpriority             enum:priority_which,d,d                            -
142 sched_setparam          d,s:sched_param                                    -
143 sched_getparam          d,os:sched_param                                   -
144 sched_setscheduler      d,enum:sched_policy,s:sched_param                  -
145 sched_getscheduler      d                                                  -
146 sched_get_priority_max  enum:sched_policy                                  -
147 sched_get_priority_min  enum:sched_policy                                  -
148 sched_rr_get_interval   d,os:timespec                                      -
149 mlock                   p,u                                                memory
150 munlock                 p,u                                                memory
151 mlockall                flags:mlockall                                     memory
152 munlockall              -                                                  memory
153 vhangup                 -                                                  -
154 modify_ldt              d,p,u                                              -
155 pivot_root              path,path                                          file
156 _sysctl                 p                                                  -
157 prctl                   enum:prctl,x,x,x,x                                 creds
158 arch_prctl              enum:arch_prctl,x                                  -
159 adjtimex                s:timex                                            clock
160 setrlimit               enum:rlimit,s:rlimit                               -
161 chroot                  path                                               file
162 sync                    -                                                  -
163 acct                    path                                               file
164 settimeofday            s:timeval,s:timezone                               clock
165 mount                   path,path,str,flags:mount,str                      file
166 umount2                 path,flags:umount                                  file
167 swapon                  path,flags:swap                                    file
168 swapoff                 path                                               file
169 reboot                  enum:reboot_magic1,enum:reboot_magic2,enum:reboot_cmd,str -
170 sethostname             ibuf:1,u                                           -
171 setdomainname           ibuf:1,u                                           -
172 iopl                    d                                                  -
173 ioperm                  x,x,d                                              -
174 create_module           x,x                                                -
175 init_module             p,u,str                                            -
176 delete_module           str,flags:delete_module                            -
177 get_kernel_syms         x                                                  -
178 query_module            x,x,x,x,x                                          -
179 quotactl                x,path,d,p                                         file
180 nfsservctl              x,x,x                                              -
181 getpmsg                 x,x,x,x,x                                          network
182 putpmsg                 x,x,x,x,x                                          network
183 afs_syscall             x,x,x,x,x                                          -
184 tuxcall                 x,x,x                                              -
185 security                x,x,x                                              -
186 gettid                  -                                                  pure
187 readahead               fd,ld,u                                            desc
188 setxattr                path,str,ibuf:3,u,flags:xattr                      file
189 lsetxattr               path,str,ibuf:3,u,flags:xattr                      file
190 fsetxattr               fd,str,ibuf:3,u,flags:xattr                        desc
191 getxattr                path,str,obuf:3,u                                  file
192 lgetxattr               path,str,obuf:3,u                                  file
193 fgetxattr               fd,str,obuf:3,u                                    desc
194 listxattr               path,obuf:2,u                                      file
195 llistxattr              path,obuf:2,u                                      file
196 flistxattr              fd,obuf:2,u                                        desc
197 removexattr             path,str                                           file
198 lremovexattr            path,str                                           file
199 fremovexattr            fd,str                                             desc
200 tkill                   d,sig                                              process,signal
201 time                    os:time                                            clock
202 futex                   p,enum:futex_op,d,s:timespec,p,x                   -
203 sched_setaffinity       d,u,s:cpu_set                                      -
204 sched_getaffinity       d,u,os:cpu_set                                     -
205 set_thread_area         s:user_desc                                        -
206 io_setup                u,os:aio_context                                   memory
207 io_destroy              p                                                  memory
208 io_getevents            p,ld,ld,os:io_event,s:timespec                     -
209 io_submit               p,ld,s:iocb                                        -
210 io_cancel               p,s:iocb,os:io_event                               -
211 get_thread_area         os:user_desc                                       -
212 lookup_dcookie          u,p,u                                              -
213 epoll_create            d                                                  desc fd
214 epoll_ctl_old           x,x,x,x                                            -
215 epoll_wait_old          x,x,x,x                                            -
216 remap_file_pages        p,u,flags:mmap_prot,u,flags:mmap_flags             memory
217 getdents64              fd,os:dirent64,u                                   desc
218 set_tid_address         x                                                  -
219 restart_syscall         -                                                  -
220 semtimedop              d,s:sembuf,u,s:timespec                            ipc
221 fadvise64               fd,ld,ld,enum:fadvise                              desc
222 timer_create            enum:clockid,s:sigevent,os:timer_id                -
223 timer_settime           d,flags:timer_flags,s:itimerspec,os:itimerspec     -
224 timer_gettime           d,os:itimerspec                                    -
225 timer_getoverrun        d                                                  -
226 timer_delete            d                                                  -
227 clock_settime           enum:clockid,s:timespec                            clock
228 clock_gettime           enum:clockid,os:timespec                           clock
229 clock_getres            enum:clockid,os:timespec                           clock
230 clock_nanosleep         enum:clockid,flags:timer_flags,s:timespec,orem     -
231 exit_group              d                                                  process none
232 epoll_wait              fd,oepoll,d,d                                      desc
233 epoll_ctl               fd,enum:epoll_ctl,fd,s:epoll_event                 desc
234 tgkill                  d,d,sig                                            process,signal
235 utimes                  path,s:timeval_pair                                file
236 vserver                 x,x,x,x,x                                          -
237 mbind                   p,u,flags:mbind_mode,p,u,flags:mbind               memory
238 set_mempolicy           flags:mpol_mode,p,u                                memory
239 get_mempolicy           os:mpol_mode,p,u,p,flags:get_mempolicy             memory
240 mq_open                 path,flags:open,o,s:mq_attr                        desc fd
241 mq_unlink               path                                               -
242 mq_timedsend            fd,ibuf:2,u,u,s:timespec                           desc
243 mq_timedreceive         fd,obuf:2,u,os:uint,s:timespec                     desc
244 mq_notify               fd,s:sigevent                                      desc
245 mq_getsetattr           fd,s:mq_attr,os:mq_attr                            desc
246 kexec_load              p,u,p,flags:kexec_load                             -
247 waitid                  enum:waitid_which,d,os:siginfo,flags:wait,os:rusage process
248 add_key                 str,str,ibuf:3,u,enum:key_spec                     -
249 request_key             str,str,str,enum:key_spec                          -
250 keyctl                  enum:keyctl,x,x,x,x                                -
251 ioprio_set              enum:ioprio_who,d,x                                -
252 ioprio_get              enum:ioprio_who,d                                  -
253 inotify_init            -                                                  desc fd
254 inotify_add_watch       fd,path,flags:inotify_mask                         file,desc
255 inotify_rm_watch        fd,d                                               desc
256 migrate_pages           d,u,p,p                                            memory
257 openat                  dirfd,path,flags:open,o                            file,desc fd
258 mkdirat                 dirfd,path,o                                       file,desc
259 mknodat                 dirfd,path,flags:file_mode,x                       file,desc
260 fchownat                dirfd,path,d,d,flags:at                            file,desc
261 futimesat               dirfd,path,s:timeval_pair                          file,desc
262 newfstatat              dirfd,path,os:stat,flags:at                        file,desc,fstat
263 unlinkat                dirfd,path,flags:at                                file,desc
264 renameat                dirfd,path,dirfd,path                              file,desc
265 linkat                  dirfd,path,dirfd,path,flags:at                     file,desc
266 symlinkat               path,dirfd,path                                    file,desc
267 readlinkat              dirfd,path,obuf:3,u                                file,desc
268 fchmodat                dirfd,path,o                                       file,desc
269 faccessat               dirfd,path,flags:access                            file,desc
270 pselect6                d,fd_set:1,fd_set:2,fd_set:3,s:timespec,s:pselect6_sigmask desc
271 ppoll                   pollfd:1,u,s:timespec,s:sigset,u                   desc
272 unshare                 flags:unshare                                      -
273 set_robust_list         p,u                                                -
274 get_robust_list         d,os:ptr,os:ulong                                  -
275 splice                  fd,s:loff,fd,s:loff,u,flags:splice                 desc
276 tee                     fd,fd,u,flags:splice                               desc
277 sync_file_range         fd,ld,ld,flags:sync_file_range                     desc
278 vmsplice                fd,iov:2,u,flags:splice                            desc
279 move_pages              d,u,p,p,p,flags:move_pages                         memory
280 utimensat               dirfd,path,s:timespec_pair,flags:at                file,desc
281 epoll_pwait             fd,oepoll,d,d,s:sigset,u                   desc
282 signalfd                fd,s:sigset,u                                      desc,signal fd
283 timerfd_create          enum:clockid,flags:timerfd                         desc fd
284 eventfd                 u                                                  desc fd
285 fallocate               fd,flags:falloc,ld,ld                              desc
286 timerfd_settime         fd,flags:timerfd,s:itimerspec,os:itimerspec        desc
287 timerfd_gettime         fd,os:itimerspec                                   desc
288 accept4                 fd,os:sockaddr,socklen,flags:socket_type_flags  network fd
289 signalfd4               fd,s:sigset,u,flags:signalfd                       desc,signal fd
290 eventfd2                u,flags:eventfd                                    desc fd
291 epoll_create1           flags:epoll_create                                 desc fd
292 dup3                    fd,fd,flags:open_mode                              desc fd
293 pipe2                   fds2,flags:open_mode                               desc
294 inotify_init1           flags:inotify_init                                 desc fd
295 preadv                  fd,oiov:2,u,ld                                     desc
296 pwritev                 fd,iov:2,u,ld                                      desc
297 rt_tgsigqueueinfo       d,d,sig,s:siginfo                                  process,signal
298 perf_event_open         s:perf_event_attr,d,d,fd,flags:perf_event_open     desc fd
299 recvmmsg                fd,os:mmsghdr,u,flags:msg_flags,s:timespec         network
300 fanotify_init           flags:fan_init,flags:open                          desc fd
301 fanotify_mark           fd,flags:fan_mark,flags:fan_event,dirfd,path       file,desc
302 prlimit64               d,enum:rlimit,s:rlimit,os:rlimit                   -
303 name_to_handle_at       dirfd,path,os:file_handle,os:int,flags:name_to_handle_at file,desc
304 open_by_handle_at       fd,s:file_handle,flags:open                        desc fd
305 clock_adjtime           enum:clockid,s:timex                               clock
306 syncfs                  fd                                                 desc
307 sendmmsg                fd,s:mmsghdr,u,flags:msg_flags                     network
308 setns                   fd,flags:setns                                     desc
309 getcpu                  os:uint,os:uint,p                                  -
310 process_vm_readv        d,oiov:2,u,s:remote_iov,u,u                        -
311 process_vm_writev       d,iov:2,u,s:remote_iov,u,u                         -
312 kcmp                    d,d,enum:kcmp,x,x                                  -
313 finit_module            fd,str,flags:module_init                           desc
314 sched_setattr           d,s:sched_attr,u                                   -
315 sched_getattr           d,os:sched_attr,u,u                                -
316 renameat2               dirfd,path,dirfd,path,flags:rename                 file,desc
317 seccomp                 enum:seccomp_op,flags:seccomp_filter,p             -
318 getrandom               obuf:1,u,flags:getrandom                           -
319 memfd_create            str,flags:memfd                                    desc fd
320 kexec_file_load         fd,fd,u,str,flags:kexec_file_load                  desc
321 bpf                     enum:bpf_cmd,p,u                                   desc
322 execveat                dirfd,path,argv,envp,flags:at                      file,desc,process
323 userfaultfd             flags:uffd                                         desc fd
324 membarrier              enum:membarrier_cmd,flags:membarrier_flags,d       -
325 mlock2                  p,u,flags:mlock2                                   memory
326 copy_file_range         fd,s:loff,fd,s:loff,u,u                            desc
327 preadv2                 fd,oiov:2,u,ld,x,flags:rwf                         desc
328 pwritev2                fd,iov:2,u,ld,x,flags:rwf                          desc
329 pkey_mprotect           p,u,flags:mmap_prot,d                              memory
330 pkey_alloc              x,flags:pkey_access                                -
331 pkey_free               d                                                  -
332 statx                   dirfd,path,flags:statx_flags,flags:statx_mask,os:statx file,desc,fstat
333 io_pgetevents           p,ld,ld,os:io_event,s:timespec,s:aio_sigset        -
334 rseq                    x,x,x,x                                            -
# 335..423 are unused on x86-64; 424.. are numbered alike on every architecture.
424 pidfd_send_signal       fd,sig,s:siginfo,x                                 desc,process,signal
425 io_uring_setup          u,s:io_uring_params                                desc fd
426 io_uring_enter          fd,u,u,flags:io_uring_enter,s:sigset,u             desc,signal
427 io_uring_register       fd,enum:io_uring_register,p,u                      desc,memory
428 open_tree               dirfd,path,flags:open_tree                         file,desc fd
429 move_mount              dirfd,path,dirfd,path,flags:move_mount             file,desc
430 fsopen                  str,flags:fsopen                                   desc fd
431 fsconfig                fd,enum:fsconfig_cmd,str,p,d                       file,desc
432 fsmount                 fd,flags:fsmount,flags:mount_attr                  desc fd
433 fspick                  dirfd,path,flags:fspick                            file,desc fd
434 pidfd_open              d,flags:pidfd_open                                 desc fd
435 clone3                  s:clone_args,u                                     process
436 close_range             u,u,flags:close_range                              -
437 openat2                 dirfd,path,s:open_how,u                            file,desc fd
438 pidfd_getfd             fd,fd,x                                            desc fd
439 faccessat2              dirfd,path,flags:access,flags:faccessat            file,desc
440 process_madvise         fd,s:remote_iov,u,enum:madvise,x                   desc
441 epoll_pwait2            fd,oepoll,d,s:timespec,s:sigset,u          desc
442 mount_setattr           dirfd,path,flags:mount_setattr,s:mount_attr,u      file,desc
443 quotactl_fd             fd,x,d,p                                           desc
444 landlock_create_ruleset s:landlock_ruleset_attr,u,flags:landlock_create_ruleset desc fd
445 landlock_add_rule       fd,enum:landlock_rule_type,p,x                     desc
446 landlock_restrict_self  fd,x                                               desc
447 memfd_secret            flags:memfd_secret                                 desc fd
448 process_mrelease        fd,x                                               desc
449 futex_waitv             s:futex_waitv,u,x,s:timespec,enum:clockid          -
450 set_mempolicy_home_node p,u,u,x                                            memory
451 cachestat               fd,s:cachestat_range,os:cachestat,x                desc
452 fchmodat2               dirfd,path,o,flags:at                              file,desc
453 map_shadow_stack        p,u,x                                              memory x
454 futex_wake              p,x,d,flags:futex2_flags                           -
455 futex_wait              p,x,x,flags:futex2_flags,s:timespec,enum:clockid   -
456 futex_requeue           s:futex_waitv,x,d,d                                -
457 statmount               s:mnt_id_req,os:statmount,u,x                      -
458 listmount               s:mnt_id_req,p,u,x                                 -
459 lsm_get_self_attr       x,p,p,x                                            -
460 lsm_set_self_attr       x,p,u,x                                            -
461 lsm_list_modules        p,p,x                                              -
462 mseal                   p,u,x                                              memory
"""


def _parse(rows: str) -> dict[int, Syscall]:
    table = {}
    for line in rows.strip().splitlines():
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        nr, name, args, classes = int(f[0]), f[1], f[2], f[3]
        table[nr] = Syscall(nr, name, tuple(args.split(",")) if args != "-" else (),
                            frozenset(classes.split(",")) if classes != "-" else frozenset(),
                            f[4] if len(f) > 4 else "d")
    return table


SYSCALLS: dict[int, Syscall] = _parse(_ROWS)
BY_NAME: dict[str, Syscall] = {s.name: s for s in SYSCALLS.values()}
