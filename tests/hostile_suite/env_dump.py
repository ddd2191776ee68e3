# HOSTILE (Python): prints its environment and whatever /proc/*/environ it can read.
# Must get: ok; exactly PATH, HOME=/box, LANG=C.UTF-8 (no variable of the caller such as
# the test's secret), and the secret never appears.
import os
for k in sorted(os.environ):
    print("env %s=%s" % (k, os.environ[k]))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                print("proc %s environ %r" % (pid, f.read()))
        except OSError as e:
            print("proc %s environ: %s" % (pid, e))
