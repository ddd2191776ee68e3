/* info: prints facts about the sandbox as KEY=VALUE lines:
 * pid, ppid, uid, euid, gid, hostname, cwd, proc_pids (numeric /proc entries),
 * dev (entries of /dev), and the CapEff / NoNewPrivs / Seccomp / Cpus_allowed_list
 * lines of /proc/self/status. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void list(const char *key, const char *dir, int numeric_only) {
    DIR *d = opendir(dir);
    printf("%s=", key);
    if (!d) { printf("!error\n"); return; }
    struct dirent *e;
    int first = 1;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (numeric_only && (e->d_name[0] < '0' || e->d_name[0] > '9')) continue;
        printf("%s%s", first ? "" : ",", e->d_name);
        first = 0;
    }
    closedir(d);
    printf("\n");
}
int main(void) {
    char buf[4096];
    printf("pid=%d\nppid=%d\nuid=%d\neuid=%d\ngid=%d\n", getpid(), getppid(), getuid(), geteuid(), getgid());
    if (gethostname(buf, sizeof buf) == 0) printf("hostname=%s\n", buf);
    if (getcwd(buf, sizeof buf)) printf("cwd=%s\n", buf);
    list("proc_pids", "/proc", 1);
    list("dev", "/dev", 0);
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        while (fgets(buf, sizeof buf, f)) {
            if (!strncmp(buf, "CapEff:", 7) || !strncmp(buf, "CapPrm:", 7) || !strncmp(buf, "NoNewPrivs:", 11) ||
                !strncmp(buf, "Seccomp:", 8) || !strncmp(buf, "Cpus_allowed_list:", 18)) {
                char *colon = strchr(buf, ':');
                *colon = '\0';
                char *v = colon + 1;
                while (*v == ' ' || *v == '\t') v++;
                printf("%s=%s", buf, v);
            }
        }
        fclose(f);
    }
    return 0;
}
