# env_dump.py: a Python program run as `python3 env_dump.py` from /box (copied with --copy).
# Prints sorted KEY=VALUE lines of its environment (no PWD or other shell additions).
# Must get: status ok; exactly the sandbox environment (PATH, HOME=/box, LANG=C.UTF-8 plus --env).
import os
for k in sorted(os.environ):
    print(f"{k}={os.environ[k]}")
