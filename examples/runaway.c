/* Never ends: ./runaway spins in pure computation, ./runaway read blocks reading stdin
 * forever. Used to check that --timeout ends a guest cleanly. */
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
        if (argc > 1 && strcmp(argv[1], "read") == 0) {
                char c;
                for (;;)
                        read(0, &c, 1);
        }
        volatile unsigned long n = 0;
        for (;;)
                n++;
}
