// A checker in testlib's protocol, written by hand (testlib.h is not vendored here):
//   checker input output answer
// Exit codes as testlib's defaults: 0 ok, 1 wrong answer, 2 presentation error, 3 fail.
// The verdict line goes to stderr, as testlib's quitf does ("ok ...", "wrong answer ...").
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

[[noreturn]] static void quit(int code, const std::string &msg) {
    static const char *names[] = {"ok", "wrong answer", "wrong output format", "FAIL"};
    std::fprintf(stderr, "%s %s\n", names[code], msg.c_str());
    std::exit(code);
}

int main(int argc, char **argv) {
    if (argc < 4) quit(3, "usage: checker input output answer");
    std::ifstream inf(argv[1]), ouf(argv[2]), ans(argv[3]);
    long long n;
    if (!(inf >> n) || n < 2) quit(3, "bad input file");
    long long a0;
    if (!(ans >> a0)) quit(3, "bad answer file");
    std::vector<bool> seen(n + 1, false);
    for (long long i = 0; i < n; i++) {
        std::string tok;
        if (!(ouf >> tok)) quit(1, "expected " + std::to_string(n) + " numbers, found " + std::to_string(i));
        char *end = nullptr;
        long long x = std::strtoll(tok.c_str(), &end, 10);
        if (*end != '\0') quit(2, "not an integer: " + tok);
        if (x < 1 || x > n) quit(1, "number out of range: " + tok);
        if (seen[x]) quit(1, "repeated number " + tok);
        if (i == 0 && x == 1) quit(1, "first element is 1");
        seen[x] = true;
    }
    std::string extra;
    if (ouf >> extra) quit(1, "extra output: " + extra);
    quit(0, std::to_string(n) + " numbers");
}
