/* A dynamic program that does not use libc: its one library (this file built with -DLIB)
   writes with a raw system call. ld.so still maps and links it, but the Python linker
   cannot learn glibc's layouts from a program without libc (learn.py needs libc's link
   map), so without debug info pyloader runs it with the real ld.so. */
#ifdef LIB
long say(const char *s, long n)
{
    long ret;
    __asm__ volatile ("syscall" : "=a"(ret) : "a"(1L), "D"(1L), "S"(s), "d"(n)
                      : "rcx", "r11", "memory");
    return ret;
}
#else
long say(const char *s, long n);

void _start(void)
{
    say("no libc here\n", 13);
    __asm__ volatile ("syscall" : : "a"(231L), "D"(7L));
    for (;;) {}
}
#endif
