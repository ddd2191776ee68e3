#!/bin/sh
# HOSTILE (shell): looks at /sys and /proc for host information and write access.
# Prints what it finds; exits 3 if /sys or anything under /proc/sys is writable.
# Must get: ok (exit 0): /sys is absent or read-only.
ls /sys 2>&1 | head -20
if [ -d /sys ] && touch /sys/dkt-pwn 2>/dev/null; then echo "WROTE /sys"; exit 3; fi
for f in /proc/sys/kernel/hostname /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_forward; do
  if (echo 1 > "$f") 2>/dev/null; then echo "WROTE $f"; exit 3; fi
done
hostname 2>&1
cat /proc/1/cmdline 2>&1 | tr '\0' ' '; echo
exit 0
