# Interactor (42/43 protocol): reads guesses on stdin, answers on stdout.
import sys

secret = int(open(sys.argv[1]).read())
feedback = sys.argv[3]


def verdict(code, msg):
    with open(feedback + "judgemessage.txt", "w") as f:
        f.write(msg + "\n")
    sys.exit(code)


for turn in range(1, 11):
    line = sys.stdin.readline()
    if not line:
        verdict(43, f"no guess {turn} (end of output)")
    try:
        g = int(line)
    except ValueError:
        verdict(43, f"guess {turn} is not a number: {line.strip()[:40]!r}")
    if g == secret:
        print("correct", flush=True)
        verdict(42, f"found in {turn} guesses")
    print("higher" if g < secret else "lower", flush=True)
verdict(43, "10 guesses used")
