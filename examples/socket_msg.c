/* sendmsg/recvmsg with scattered buffers over a socketpair. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
int main(void){int sv[2]; if(socketpair(AF_UNIX,SOCK_STREAM,0,sv)) return 1;
char a[]="hello ", b[]="msg"; struct iovec iv[2]={{a,6},{b,3}};
struct msghdr m={0}; m.msg_iov=iv; m.msg_iovlen=2; printf("sent %zd\n", sendmsg(sv[0],&m,0));
char r1[4]={0}, r2[16]={0}; struct iovec ov[2]={{r1,3},{r2,15}}; struct msghdr n={0}; n.msg_iov=ov; n.msg_iovlen=2;
ssize_t k=recvmsg(sv[1],&n,0); printf("got %zd [%s][%s]\n", k, r1, r2); return 0;}
