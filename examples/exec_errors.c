/* execve's errors as the kernel returns them, then a successful exec of a #! script. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static void try(const char *path)
{
    char *argv[] = {(char *)path, NULL};
    execve(path, argv, NULL);
    printf("%s: %s\n", path, strerrorname_np(errno));
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    char p[4096];
    try("/nonexistent/program");                              /* ENOENT */
    try("/etc/passwd");                                        /* EACCES: not executable */
    try("/");                                                  /* EACCES: not a regular file */
    snprintf(p, sizeof p, "%s/data.bin", dir);  try(p);        /* ENOEXEC */
    snprintf(p, sizeof p, "%s/loop1", dir);     try(p);        /* ELOOP: #! chain too deep */
    fflush(stdout);
    snprintf(p, sizeof p, "%s/script.sh", dir);
    char *sargv[] = {p, "arg1", NULL};
    char *envp[] = {"GREETING=hi", NULL};
    execve(p, sargv, envp);
    printf("script: %s\n", strerrorname_np(errno));
    return 1;
}
