#!/bin/bash
# HOSTILE (shell, dangerous): the classic bash fork bomb, while the main process spins (so
# that the run is not simply over when the script's own pipeline returns).
# Must get: --pids 32 --time 1 --wall-time 10: time_limit_exceeded; nothing is left on the host.
b() { b | b & }
b
while :; do :; done
