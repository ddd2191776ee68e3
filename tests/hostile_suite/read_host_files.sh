#!/bin/sh
# HOSTILE (shell): cat every argument (host paths) directly, via /proc/1/root and ../../..,
# and grep the usual host secrets.
# Must get: ok (exit 0 forced); no host secret in the output.
for f in "$@"; do
  cat "$f" /proc/1/root"$f" /proc/self/root"$f" ../../../.."$f" 2>&1
done
cat /etc/shadow /root/.bash_history /etc/ssh/ssh_host_ed25519_key 2>&1
ls -la / /root /home 2>&1 | head -50
exit 0
