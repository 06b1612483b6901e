/* Tries every known way out of a chroot-like root to a host directory OUTSIDE (argv[1],
 * its host path): it holds `secret` (a file), `sock` (a listening unix socket that sends
 * its secret) and `prog` (this program, printing the secret when run as `prog secret`).
 * Each case prints one line: what it read, or the errno. Run inside the root, natively
 * under chroot(8) with /proc mounted, or under `pyloader run --rootfs ROOT`; the two
 * outputs must be equal, and neither may show the secret. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/openat2.h>
#include <unistd.h>

static const char *outside;          /* the host directory, as the host names it */
static char probe[] = "GUEST-MEMORY-PROBE";
static const char rodata_probe[] = "READ-ONLY-PROBE";

static const char *at(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", outside, name);
    return buf;
}

/* "../" enough times to climb from anywhere in the root up to the host's "/" */
static const char *climb(const char *name)
{
    static char buf[4096];
    buf[0] = 0;
    for (int i = 0; i < 40; i++)
        strcat(buf, "../");
    strcat(buf, at(name) + 1);
    return buf;
}

static void show_fd(const char *what, int fd)
{
    char buf[64] = {0};
    if (fd < 0) {
        printf("%s: %s\n", what, strerrorname_np(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0)
        printf("%s: read %s\n", what, strerrorname_np(errno));
    else
        printf("%s: read \"%.*s\"\n", what, (int)strcspn(buf, "\n"), buf);
    close(fd);
}

static void try_open(const char *what, int dirfd, const char *path)
{
    show_fd(what, openat(dirfd, path, O_RDONLY));
}

/* the sorted names in a directory (inside the root: escape, proc, tmp) */
static void list(const char *what, int fd)
{
    if (fd < 0) {
        printf("%s: %s\n", what, strerrorname_np(errno));
        return;
    }
    DIR *d = fdopendir(dup(fd));
    char names[64][64];
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) && n < 64;)
        if (e->d_name[0] != '.')
            snprintf(names[n++], 64, "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, n, 64, (int (*)(const void *, const void *))strcmp);
    printf("%s:", what);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
}

static void show_link(const char *path)
{
    char buf[4096];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    printf("readlink %s: %s\n", path, n < 0 ? strerrorname_np(errno) : (buf[n] = 0, buf));
}

static void try_stat(const char *what, const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        printf("%s: %s\n", what, strerrorname_np(errno));
    else
        printf("%s: mode %o\n", what, st.st_mode & S_IFMT);
}

static void try_connect(const char *what, const char *path, int reply)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        printf("%s: %s\n", what, strerrorname_np(errno));
        close(s);
        return;
    }
    if (reply)
        show_fd(what, s);
    else
        printf("%s: connected\n", what), close(s);
}

static void try_exec(const char *what, const char *path)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl(path, "prog", "secret", (char *)0);
        printf("%s: %s\n", what, strerrorname_np(errno));
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
}

/* A second process swaps /tmp/race between a directory and a symlink to OUTSIDE while this
 * one opens /tmp/race/secret: a lookup checked in one step and made in another escapes. */
static void race(void)
{
    mkdir("/tmp/race.dir", 0755);
    symlink(outside, "/tmp/race.link");
    rename("/tmp/race.dir", "/tmp/race");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) {
            rename("/tmp/race", "/tmp/race.dir");
            rename("/tmp/race.link", "/tmp/race");
            rename("/tmp/race", "/tmp/race.link");
            rename("/tmp/race.dir", "/tmp/race");
        }
    }
    int escaped = 0;
    for (int i = 0; i < 3000 && !escaped; i++) {
        int fd = open("/tmp/race/secret", O_RDONLY);
        if (fd >= 0) {
            escaped = 1;
            close(fd);
        }
    }
    kill(pid, SIGKILL);
    waitpid(pid, 0, 0);
    printf("rename race: %s\n", escaped ? "ESCAPED" : "stayed inside");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "secret") == 0) {
        printf("%s: HOST-SECRET-PROG\n", "exec");
        return 0;
    }
    if (argc < 2)
        return 2;
    outside = argv[1];
    setvbuf(stdout, 0, _IOLBF, 0);
    char cwd[4096];
    printf("starting cwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerrorname_np(errno));
    try_open("secret relative to the starting cwd", AT_FDCWD, "secret");
    try_open("secret by its host path", AT_FDCWD, at("secret"));
    try_open("secret by climbing", AT_FDCWD, climb("secret"));

    list("listing of the starting cwd", open(".", O_RDONLY | O_DIRECTORY));
    try_open("/proc/self/cwd/secret", AT_FDCWD, "/proc/self/cwd/secret");
    show_link("/proc/self/cwd");
    show_link("/proc/self/root");
    int root = open("/proc/self/root", O_RDONLY | O_DIRECTORY);
    printf("/proc/self/root as a directory: %s\n", root < 0 ? strerrorname_np(errno) : "ok");
    list("listing of /proc/self/root", root);
    try_open("/proc/self/root + host path", AT_FDCWD,
             strcat(strcpy(cwd, "/proc/self/root"), at("secret")));
    if (fchdir(root) == 0) {
        printf("fchdir(/proc/self/root), getcwd: %s\n", getcwd(cwd, sizeof cwd));
        list("listing of .. after it", open("..", O_RDONLY | O_DIRECTORY));
    }
    try_open("openat(/proc/self/root, host path)", root, at("secret") + 1);
    try_open("openat(/proc/self/root, climb)", root, climb("secret"));
    try_open("/proc/self/root/../ host path", AT_FDCWD,
             strcat(strcpy(cwd, "/proc/self/root/.."), at("secret")));

    chdir("/tmp");
    int cwdfd = open("/proc/self/cwd", O_RDONLY | O_DIRECTORY);
    printf("/proc/self/cwd as a directory: %s\n", cwdfd < 0 ? strerrorname_np(errno) : "ok");
    list("listing of /proc/self/cwd/..", openat(cwdfd, "..", O_RDONLY | O_DIRECTORY));
    try_open("openat(/proc/self/cwd, climb)", cwdfd, climb("secret"));
    try_open("/proc/self/cwd/ climb", AT_FDCWD,
             strcat(strcpy(cwd, "/proc/self/cwd/"), climb("secret")));
    chdir("/");
    for (int i = 0; i < 40; i++)
        chdir("..");
    printf("cwd after chdir(..) x40: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
    try_open("secret relative after chdir(..)", AT_FDCWD, at("secret") + 1);

    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    try_open("openat(dirfd, climb)", dir, climb("secret"));
    struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_IN_ROOT};
    show_fd("openat2(dirfd, climb, RESOLVE_IN_ROOT)",
            syscall(SYS_openat2, dir, climb("secret"), &how, sizeof how));
    how.resolve = RESOLVE_BENEATH;
    show_fd("openat2(dirfd, .., RESOLVE_BENEATH)", syscall(SYS_openat2, dir, "..", &how, sizeof how));
    how.resolve = RESOLVE_NO_SYMLINKS;
    show_fd("openat2(host path, RESOLVE_NO_SYMLINKS)",
            syscall(SYS_openat2, AT_FDCWD, at("secret"), &how, sizeof how));
    snprintf(cwd, sizeof cwd, "/proc/self/fd/%d/%s", dir, climb("secret"));
    try_open("/proc/self/fd/N/ climb", AT_FDCWD, cwd);
    snprintf(cwd, sizeof cwd, "/proc/self/fd/%d/..", dir);
    int up = open(cwd, O_RDONLY | O_DIRECTORY);
    list("listing of /proc/self/fd/N/..", up);
    snprintf(cwd, sizeof cwd, "/proc/self/fd/%d/../..", dir);
    list("listing of /proc/self/fd/N/../..", open(cwd, O_RDONLY | O_DIRECTORY));
    try_open("openat(/proc/self/fd/N/.., climb)", up, climb("secret"));
    snprintf(cwd, sizeof cwd, "/dev/fd/%d/%s", dir, climb("secret"));
    try_open("/dev/fd/N/ climb", AT_FDCWD, cwd);

    int mem = open("/proc/self/mem", O_RDWR);
    char got[32] = {0};
    if (mem < 0 || pread(mem, got, sizeof probe - 1, (off_t)(long)probe) < 0)
        printf("/proc/self/mem read: %s\n", strerrorname_np(errno));
    else
        printf("/proc/self/mem read: \"%s\"\n", got);
    if (mem >= 0 && pwrite(mem, "W", 1, (off_t)(long)rodata_probe) == 1)
        printf("/proc/self/mem write to read-only data: \"%s\"\n", rodata_probe);
    else
        printf("/proc/self/mem write to read-only data: %s\n", strerrorname_np(errno));
    if (mem >= 0 && pread(mem, got, 8, 4096) < 0)
        printf("/proc/self/mem at an unmapped address: %s\n", strerrorname_np(errno));

    show_link("/proc/self/exe");
    symlink(at("secret"), "/tmp/abs-link");
    symlink(climb("secret"), "/tmp/climb-link");
    symlink(outside, "/tmp/dir-link");
    try_open("symlink to the host path", AT_FDCWD, "/tmp/abs-link");
    try_open("symlink that climbs", AT_FDCWD, "/tmp/climb-link");
    try_open("through a symlinked directory", AT_FDCWD, "/tmp/dir-link/secret");
    try_stat("lstat through a symlinked directory", "/tmp/dir-link/secret");
    list("listing through a symlinked directory", open("/tmp/dir-link", O_RDONLY | O_DIRECTORY));
    show_link("/tmp/dir-link");
    try_stat("lstat of dir-link/ (trailing slash follows)", "/tmp/dir-link/");
    printf("chdir to a symlinked directory: %s\n",
           chdir("/tmp/dir-link") < 0 ? strerrorname_np(errno) : "ok");
    try_open("secret after that chdir", AT_FDCWD, "secret");
    chdir("/");
    printf("truncate through a symlink: %s\n",
           truncate("/tmp/abs-link", 0) < 0 ? strerrorname_np(errno) : "ok");
    printf("chmod through a symlink: %s\n",
           chmod("/tmp/abs-link", 0600) < 0 ? strerrorname_np(errno) : "ok");

    printf("hard link of the host path: %s\n",
           link(at("secret"), "/tmp/hard") < 0 ? strerrorname_np(errno) : "made");
    try_open("that hard link", AT_FDCWD, "/tmp/hard");
    printf("hard link through a symlink (AT_SYMLINK_FOLLOW): %s\n",
           linkat(AT_FDCWD, "/tmp/abs-link", AT_FDCWD, "/tmp/hard2", AT_SYMLINK_FOLLOW) < 0
               ? strerrorname_np(errno) : "made");
    try_open("that second hard link", AT_FDCWD, "/tmp/hard2");
    printf("rename through a symlinked directory: %s\n",
           rename("/tmp/dir-link/secret", "/tmp/moved") < 0 ? strerrorname_np(errno) : "moved");
    printf("unlink through a symlinked directory: %s\n",
           unlink("/tmp/dir-link/secret") < 0 ? strerrorname_np(errno) : "removed");

    try_connect("connect to the host socket", at("sock"), 1);
    symlink(at("sock"), "/tmp/sock-link");
    try_connect("connect through a symlink", "/tmp/sock-link", 1);
    try_connect("connect through a symlinked directory", "/tmp/dir-link/sock", 1);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, "/tmp/bound");     /* inside: the host's /tmp is not touched */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = bind(s, (struct sockaddr *)&sa, sizeof sa);
    printf("bind /tmp/bound: %s\n", r < 0 ? strerrorname_np(errno) : "ok");
    try_stat("the bound socket inside", "/tmp/bound");
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    getsockname(s, (struct sockaddr *)&sa, &len);
    printf("getsockname: %s\n", sa.sun_path);
    listen(s, 1);
    try_connect("connect to /tmp/bound", "/tmp/bound", 0);

    try_exec("exec the host program", at("prog"));
    symlink(at("prog"), "/tmp/prog-link");
    try_exec("exec through a symlink", "/tmp/prog-link");

    race();
    return 0;
}
