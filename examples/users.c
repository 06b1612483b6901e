/* NSS (getpwuid) and time zones (localtime with TZ): libc reading /etc files. */
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void) {
        struct passwd *p = getpwuid(0);
        printf("uid 0 is %s\n", p ? p->pw_name : "?");
        setlocale(LC_ALL, "C");
        setenv("TZ", "UTC", 1);
        tzset();
        time_t t = 86400 * 365;
        char b[64];
        strftime(b, sizeof b, "%Y-%m-%d %H:%M %Z", localtime(&t));
        printf("%s\n", b);
        return 0;
}
