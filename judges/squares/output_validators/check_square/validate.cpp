// Output validator for "Two Squares" (problem package format protocol):
//   validate input answer feedback_dir [flags] < team_output
// Exit 42: accepted, 43: wrong answer. A reason goes to feedback_dir/judgemessage.txt.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

static std::string feedback;

[[noreturn]] static void verdict(int code, const std::string &msg) {
    std::ofstream(feedback + "judgemessage.txt") << msg << "\n";
    std::exit(code);
}

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    feedback = argv[3];
    long long n;
    std::ifstream(argv[1]) >> n;
    std::string first;
    std::ifstream(argv[2]) >> first;
    bool possible = first != "impossible";
    std::string a_s, b_s, extra;
    if (!(std::cin >> a_s)) verdict(43, "no output");
    // A deliberate fault for the tests (submissions/judge_error/): a validator that
    // crashes is the package's fault, judge_error, never a verdict on the submission.
    if (a_s == "crash-the-validator") std::abort();
    if (a_s == "impossible") {
        if (std::cin >> extra) verdict(43, "trailing output");
        if (possible) verdict(43, "said impossible but the judge has a solution");
        verdict(42, "impossible, correctly");
    }
    if (!(std::cin >> b_s)) verdict(43, "expected two numbers");
    if (std::cin >> extra) verdict(43, "trailing output");
    long long a = 0, b = 0;
    try { a = std::stoll(a_s); b = std::stoll(b_s); } catch (...) { verdict(43, "not integers"); }
    if (a < 0 || b < 0) verdict(43, "negative number");
    if (a > 2000000 || b > 2000000 || a * a + b * b != n) {
        std::ostringstream m; m << a << "^2 + " << b << "^2 != " << n; verdict(43, m.str());
    }
    if (!possible) verdict(43, "judge says impossible, yet the team found one: judge error?");
    verdict(42, "ok");
}
