"""Prototypes of common library functions for `pyloader run -L` (data, in the syntax of
ltrace.conf(5), the subset this table uses):

  int, uint, long, ulong, hex, octal, char, double, float, addr, file, void, bool
  string          a NUL-terminated string, shown quoted and cut at -s
  stringN         argument N bytes shown as a string, NULs included (N counts from 1)
  int*            a pointer to an int, shown as the int (nil for NULL)
  sigset_t*       a signal set, shown as <0-2,12> (the bit numbers, signal - 1)
  sigaction*      a struct sigaction: { handler, mask, flags, restorer }
  +T              an output argument: shown when the function returns
  format          a printf format: the variable arguments are shown as it converts them
  enum(A=0,...)   a value shown by name
  signum          a signal number, shown by name

The return type comes first. Functions that are not here print four raw arguments and a
raw return value, as ltrace does. Types follow ltrace's own table where it has the function,
so that the two traces agree.
"""

LC = "enum(LC_CTYPE=0,LC_NUMERIC=1,LC_TIME=2,LC_COLLATE=3,LC_MONETARY=4,LC_MESSAGES=5," \
     "LC_ALL=6,LC_PAPER=7,LC_NAME=8,LC_ADDRESS=9,LC_TELEPHONE=10,LC_MEASUREMENT=11," \
     "LC_IDENTIFICATION=12)"

PROTOTYPES = f"""
; stdio
int printf(format);
int fprintf(file,format);
int dprintf(int,format);
int sprintf(+string,format);
int snprintf(+string,ulong,format);
int asprintf(addr,format);
int vprintf(string,addr);
int vfprintf(file,string,addr);
int vsprintf(+string,string,addr);
int vsnprintf(+string,ulong,string,addr);
int __printf_chk(int,format);
int __fprintf_chk(file,int,format);
int __sprintf_chk(+string,int,ulong,format);
int __snprintf_chk(+string,ulong,int,ulong,format);
int puts(string);
int putchar(char);
int putc(char,file);
int fputc(char,file);
int fputs(string,file);
int _IO_putc(char,file);
char getchar();
char fgetc(file);
char getc(file);
char _IO_getc(file);
int ungetc(char,file);
addr fgets(+string,int,file);
long getline(addr,addr,file);
ulong fread(addr,ulong,ulong,file);
ulong fwrite(string,ulong,ulong,file);
file fopen(string,string);
file fopen64(string,string);
file fdopen(int,string);
file freopen(string,string,file);
int fclose(file);
int fflush(file);
int fseek(file,long,int);
long ftell(file);
void rewind(file);
int feof(file);
int ferror(file);
int fileno(file);
void setbuf(file,addr);
int setvbuf(file,addr,int,ulong);
void perror(string);
int remove(string);
int rename(string,string);
int scanf(string);
int sscanf(string,string);
int fscanf(file,string);
int __isoc99_scanf(string);
int __isoc99_sscanf(string,string);
int __isoc99_fscanf(file,string);
file popen(string,string);
int pclose(file);
file tmpfile();
; stdlib
addr malloc(ulong);
addr calloc(ulong,ulong);
addr realloc(addr,ulong);
addr reallocarray(addr,ulong,ulong);
void free(addr);
int posix_memalign(addr,ulong,ulong);
addr aligned_alloc(ulong,ulong);
addr memalign(ulong,ulong);
void exit(int);
void _exit(int);
void _Exit(int);
void abort();
int atexit(addr);
int __cxa_atexit(addr,addr,addr);
string getenv(string);
string secure_getenv(string);
int setenv(string,string,int);
int unsetenv(string);
int putenv(string);
int system(string);
int atoi(string);
long atol(string);
long atoll(string);
double atof(string);
long strtol(string,addr,int);
ulong strtoul(string,addr,int);
long strtoll(string,addr,int);
ulong strtoull(string,addr,int);
double strtod(string,addr);
int rand();
void srand(uint);
long random();
void srandom(uint);
void qsort(addr,ulong,ulong,addr);
addr bsearch(addr,addr,ulong,ulong,addr);
int abs(int);
long labs(long);
string realpath(string,addr);
string mkdtemp(string);
int mkstemp(string);
; string.h
ulong strlen(string);
ulong strnlen(string,ulong);
int strcmp(string,string);
int strncmp(string,string,ulong);
int strcasecmp(string,string);
int strncasecmp(string,string,ulong);
int strcoll(string,string);
addr strcpy(addr,string);
addr strncpy(addr,string3,ulong);
addr stpcpy(addr,string);
string strcat(string,string);
string strncat(string,string3,ulong);
addr strdup(string);
addr strndup(string2,ulong);
string strchr(string,char);
string strrchr(string,char);
string strstr(string,string);
string strpbrk(string,string);
ulong strspn(string,string);
ulong strcspn(string,string);
string strtok(string,string);
string strtok_r(string,string,addr);
string strsep(addr,string);
string strerror(int);
string strsignal(signum);
addr memcpy(addr,string3,ulong);
addr memmove(addr,string3,ulong);
addr memset(addr,char,long);
int memcmp(addr,addr,ulong);
addr memchr(string,char,ulong);
addr __memcpy_chk(addr,string3,ulong,ulong);
addr __memset_chk(addr,char,ulong,ulong);
addr __strcpy_chk(addr,string,ulong);
; ctype
char tolower(char);
char toupper(char);
int isalpha(char);
int isdigit(char);
int isalnum(char);
int isspace(char);
int isupper(char);
int islower(char);
int isprint(char);
int ispunct(char);
int isxdigit(char);
addr __ctype_b_loc();
addr __ctype_tolower_loc();
addr __ctype_toupper_loc();
; errno, locale, time
addr __errno_location();
string setlocale({LC},string);
string bindtextdomain(string,string);
string textdomain(string);
string gettext(string);
string dcgettext(string,string,int);
long time(addr);
int gettimeofday(addr,addr);
int clock_gettime(int,addr);
long clock();
addr localtime(addr);
addr localtime_r(addr,addr);
addr gmtime(addr);
addr gmtime_r(addr,addr);
long mktime(addr);
string ctime(addr);
string asctime(addr);
ulong strftime(+string2,ulong,string,addr);
uint sleep(uint);
void usleep(uint);
int nanosleep(addr,addr);
; unistd, fcntl, dirent
int open(string,int,octal);
int open64(string,int,octal);
int openat(int,string,int,octal);
int close(int);
long read(int,+stringR,ulong);
long write(int,string3,ulong);
long lseek(int,long,int);
int unlink(string);
int rmdir(string);
int mkdir(string,octal);
int chdir(string);
string getcwd(+string,ulong);
int access(string,int);
int dup(int);
int dup2(int,int);
int pipe(addr);
int fork();
int vfork();
int getpid();
int getppid();
uint getuid();
uint geteuid();
uint getgid();
uint getegid();
int isatty(int);
int execv(string,addr);
int execvp(string,addr);
int execve(string,addr,addr);
int execl(string,string);
int execlp(string,string);
int waitpid(int,addr,int);
int wait(addr);
int kill(int,signum);
int raise(signum);
addr signal(signum,addr);
int sigaction(signum,sigaction*,+sigaction*);
long sysconf(int);
int gethostname(+string,ulong);
addr opendir(string);
addr readdir(addr);
addr readdir64(addr);
int closedir(addr);
int stat(string,addr);
int fstat(int,addr);
int lstat(string,addr);
int getopt(int,addr,string);
int getopt_long(int,addr,string,addr,int*);
int sigemptyset(+sigset_t*);
int sigfillset(+sigset_t*);
int sigaddset(+sigset_t*,signum);
int sigdelset(+sigset_t*,signum);
int sigismember(sigset_t*,signum);
int sigprocmask(int,sigset_t*,+sigset_t*);
ulong __ctype_get_mb_cur_max();
int getpagesize();
ulong fwrite_unlocked(string,ulong,ulong,file);
int fputs_unlocked(string,file);
int uname(addr);
int fnmatch(string,string,int);
int getopt_long_only(int,addr,string,addr,int*);
string basename(string);
string index(string,char);
string rindex(string,char);
void bzero(addr,ulong);
void bcopy(addr,addr,ulong);
long __strtol_internal(string,addr,int);
ulong fread_unlocked(addr,ulong,ulong,file);
void setbuffer(file,addr,ulong);
void setlinebuf(file);
int fwide(file,int);
int ioctl(int,hex,addr);
int __xstat(int,string,addr);
int __fxstat(int,int,addr);
int __lxstat(int,string,addr);
int chmod(string,octal);
int fchmod(int,octal);
int mkfifo(string,octal);
octal umask(octal);
int chown(string,int,int);
int fchdir(int);
int ftruncate(int,ulong);
int truncate(string,ulong);
int link(string,string);
int symlink(string,string);
long readlink(string,+stringR,ulong);
int sync();
string ttyname(int);
int tcgetattr(int,addr);
int tcsetattr(int,int,addr);
uint alarm(uint);
int setuid(int);
int setgid(int);
int seteuid(uint);
string getlogin();
int getpgrp();
addr sbrk(long);
int sigpending(+sigset_t*);
int sigsuspend(sigset_t*);
void openlog(string,int,int);
void closelog();
string getpass(string);
string readline(string);
; users, network
addr getpwnam(string);
addr getpwuid(uint);
addr getgrnam(string);
addr getgrgid(uint);
int getaddrinfo(string,string,addr,addr);
void freeaddrinfo(addr);
string gai_strerror(int);
addr gethostbyname(string);
int socket(int,int,int);
int connect(int,addr,uint);
int bind(int,addr,uint);
int listen(int,int);
int accept(int,addr,addr);
long send(int,string3,ulong,int);
long recv(int,+stringR,ulong,int);
uint ntohs(uint);
uint htons(uint);
uint ntohl(uint);
uint htonl(uint);
; dlfcn, pthread
addr dlopen(string,int);
addr dlsym(addr,string);
int dlclose(addr);
string dlerror();
int pthread_create(addr,addr,addr,addr);
int pthread_join(hex,addr);
int pthread_mutex_lock(addr);
int pthread_mutex_unlock(addr);
hex pthread_self();
; libm
double sqrt(double);
double cbrt(double);
double pow(double,double);
double exp(double);
double exp2(double);
double log(double);
double log2(double);
double log10(double);
double sin(double);
double cos(double);
double tan(double);
double asin(double);
double acos(double);
double atan(double);
double atan2(double,double);
double sinh(double);
double cosh(double);
double tanh(double);
double floor(double);
double ceil(double);
double round(double);
double trunc(double);
double fabs(double);
double fmod(double,double);
double hypot(double,double);
double ldexp(double,int);
float sqrtf(float);
float powf(float,float);
float sinf(float);
float cosf(float);
float expf(float);
float logf(float);
float floorf(float);
float fabsf(float);
; libstdc++ (mangled names, as the PLT names them)
addr _Znwm(ulong);
addr _Znam(ulong);
void _ZdlPv(addr);
void _ZdlPvm(addr,ulong);
void _ZdaPv(addr);
addr __cxa_allocate_exception(ulong);
void __cxa_free_exception(addr);
void __cxa_throw(addr,addr,addr);
addr __cxa_begin_catch(addr);
void __cxa_end_catch();
void __cxa_rethrow();
void _Unwind_Resume(addr);
int __cxa_guard_acquire(addr);
void __cxa_guard_release(addr);
void __cxa_pure_virtual();
void _ZNSt8ios_base4InitC1Ev(addr);
void _ZNSt8ios_base4InitD1Ev(addr);
addr _ZStlsISt11char_traitsIcEERSt13basic_ostreamIcT_ES5_PKc(addr,string);
addr _ZNSolsEi(addr,int);
addr _ZNSolsEm(addr,ulong);
addr _ZNSolsEl(addr,long);
addr _ZNSolsEd(addr,double);
addr _ZNSolsEPFRSoS_E(addr,addr);
addr _ZSt4endlIcSt11char_traitsIcEERSt13basic_ostreamIT_T0_ES6_(addr);
addr _ZNSo9_M_insertImEERSoT_(addr,ulong);
addr _ZNSo9_M_insertIlEERSoT_(addr,long);
addr _ZNSo9_M_insertIdEERSoT_(addr,double);
addr _ZSt16__ostream_insertIcSt11char_traitsIcEERSt13basic_ostreamIT_T0_ES6_PKS3_l(addr,string3,long);
addr _ZNSo3putEc(addr,char);
addr _ZNSo5flushEv(addr);
void _ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE10_M_disposeEv(addr);
addr _ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_createERmm(addr,addr,ulong);
void _ZSt20__throw_length_errorPKc(string);
void _ZSt17__throw_bad_allocv();
void _ZSt24__throw_out_of_range_fmtPKcz(format);
void _ZSt19__throw_logic_errorPKc(string);
"""

# functions that do not return to their caller: no exit hook is set (a C++ throw could not
# unwind through the return trap); a call left open at exit is "<no return ...>"
NO_RETURN = {
    "exit", "_exit", "_Exit", "abort", "__stack_chk_fail", "__chk_fail", "__fortify_fail",
    "longjmp", "_longjmp", "siglongjmp", "__longjmp_chk", "pthread_exit", "__assert_fail",
    "err", "errx", "verr", "verrx", "__libc_start_main", "__cxa_throw", "__cxa_rethrow", "_Unwind_Resume", "__cxa_bad_cast",
    "__cxa_bad_typeid", "__cxa_pure_virtual", "_ZSt9terminatev",
}


def returns(name: str) -> bool:
    """False for functions that never return to their caller (std::__throw_* included)."""
    return name not in NO_RETURN and "__throw_" not in name


def _split_args(text: str) -> list[str]:
    """Top-level comma split (enum(...) has commas inside)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def parse(text: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (return type, argument types)."""
    table = {}
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip() if line.lstrip().startswith(";") else line.strip()
        if not line:
            continue
        head, _, rest = line.partition("(")
        ret, name = head.split()
        args = rest.rstrip().rstrip(";").rstrip()
        args = args.removesuffix(")")
        table[name] = (ret, _split_args(args))
    return table


PROTOS = parse(PROTOTYPES)
