#!/bin/sh
# HOSTILE (shell): lists the network interfaces the sandbox sees (/proc/net/dev, /sys/class/net).
# Must get: ok; with --net none only "lo" at most (no host interface such as eth0).
cat /proc/net/dev 2>&1
ls /sys/class/net 2>&1
exit 0
