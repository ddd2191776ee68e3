/* HOSTILE: after pivot_root, walks up with chdir("..") a hundred times and through
 * /proc/self/root, then lists the directory it ended in and tries to read argv[1..] relative
 * to it (host paths without the leading '/').
 * Must get: ok; it sees the sandbox's root (has "box"), never the host's, and no secret. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    for (int i = 0; i < 100; i++) chdir("..");
    DIR *d = opendir(".");
    struct dirent *e;
    printf("root:");
    while (d && (e = readdir(d))) printf(" %s", e->d_name);
    printf("\n");
    for (int i = 1; i < argc; i++) {
        char buf[256] = {0};
        int fd = open(argv[i] + (argv[i][0] == '/'), O_RDONLY);
        if (fd < 0) { printf("%s: %s\n", argv[i], strerror(errno)); continue; }
        read(fd, buf, sizeof buf - 1);
        printf("%s: %s\n", argv[i], buf);
    }
    return 0;
}
