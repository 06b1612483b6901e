/* sendmsg/recvmsg with scattered buffers over a socketpair, then a descriptor passed with
 * SCM_RIGHTS: the receiver reads the file through the descriptor it was given. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return 1;
    char a[] = "hello ", b[] = "msg";
    struct iovec iv[2] = {{a, 6}, {b, 3}};
    struct msghdr m = {0};
    m.msg_iov = iv;
    m.msg_iovlen = 2;
    printf("sent %zd\n", sendmsg(sv[0], &m, 0));
    char r1[4] = {0}, r2[16] = {0};
    struct iovec ov[2] = {{r1, 3}, {r2, 15}};
    struct msghdr n = {0};
    n.msg_iov = ov;
    n.msg_iovlen = 2;
    ssize_t k = recvmsg(sv[1], &n, 0);
    printf("got %zd [%s][%s]\n", k, r1, r2);

    /* pass a pipe's read end; the sender then closes its own copy */
    int p[2];
    pipe(p);
    write(p[1], "through the passed fd", 21);
    close(p[1]);
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec one = {"x", 1};
    struct msghdr s = {.msg_iov = &one, .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&s);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    printf("sent fd: %zd\n", sendmsg(sv[0], &s, 0));
    close(p[0]);

    char x;
    struct iovec in = {&x, 1};
    memset(&ctl, 0, sizeof ctl);
    struct msghdr r = {.msg_iov = &in, .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf};
    printf("received: %zd\n", recvmsg(sv[1], &r, MSG_CMSG_CLOEXEC));
    c = CMSG_FIRSTHDR(&r);
    int fd = -1;
    if (c && c->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
    char text[64] = {0};
    printf("fd %d cloexec %d: \"%.*s\"\n", fd, fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
           (int)read(fd, text, sizeof text - 1), text);
    return 0;
}
