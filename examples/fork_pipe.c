/* fork + pipe + exec + wait: the child's output travels through a pipe to the parent;
   a second child is killed by a signal; system() runs a shell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
    int fds[2];
    if (pipe(fds) != 0) { perror("pipe"); return 1; }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl("/bin/echo", "echo", "hello", "through", "a", "pipe", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[256];
    ssize_t n, total = 0;
    while ((n = read(fds[0], buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    buf[total] = 0;
    int status;
    pid_t w = waitpid(pid, &status, 0);
    printf("parent read: %s", buf);
    printf("child %s, exited=%d status=%d\n", w == pid ? "reaped" : "lost",
           WIFEXITED(status), WEXITSTATUS(status));

    pid_t k = fork();
    if (k == 0) {
        pause();
        _exit(0);
    }
    kill(k, SIGTERM);
    waitpid(k, &status, 0);
    printf("second child: signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));

    pid_t e = fork();
    if (e == 0)
        exit(42);
    waitpid(e, &status, 0);
    printf("third child exit code %d\n", WEXITSTATUS(status));

    fflush(stdout);
    int rc = system("echo from system; exit 3");
    printf("system returned %d\n", WEXITSTATUS(rc));
    if (execl("/nonexistent/prog", "prog", (char *)NULL) < 0)
        perror("execl");
    return 0;
}
