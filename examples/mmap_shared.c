/* Writes a file through a MAP_SHARED mapping, unmaps it, and reads the file back. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
        const char *path = argc > 1 ? argv[1] : "mmap_shared.dat";
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) { perror("open"); return 1; }
        if (ftruncate(fd, 4096) < 0) { perror("ftruncate"); return 1; }
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        strcpy(p, "written through MAP_SHARED\n");
        if (msync(p, 4096, MS_SYNC) < 0) { perror("msync"); return 1; }
        strcpy(p + 100, "and after munmap\n");
        munmap(p, 4096);
        char buf[128] = {0};
        pread(fd, buf, 27, 0);
        fputs(buf, stdout);
        pread(fd, buf, 17, 100);
        buf[17] = 0;
        fputs(buf, stdout);
        close(fd);
        unlink(path);
        return 0;
}
