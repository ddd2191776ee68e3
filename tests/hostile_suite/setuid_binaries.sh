#!/bin/sh
# HOSTILE (shell): tries the host's setuid binaries (su, passwd, chsh, newgrp, mount, sudo)
# to become root; each would write /box/PWNED as root. Prints the uid after every attempt.
# Run with --seccomp off (under the default policy PAM's netlink audit socket already ends
# the run as syscall_denied "socket"): what stops them is nosuid and no_new_privs.
# Must get: ok (exit 0): uid stays 1000 ("uid=1000" printed, "PWNED" never).
for b in su passwd chsh newgrp sudo pkexec gpasswd chfn; do
  p=$(command -v $b 2>/dev/null) || continue
  ls -l "$p"
  case $b in
    su) su -c 'id > /box/PWNED' root < /dev/null ;;
    sudo) sudo -n sh -c 'id > /box/PWNED' < /dev/null ;;
    passwd) passwd -d root < /dev/null ;;
    *) "$p" < /dev/null ;;
  esac >/dev/null 2>&1
done
echo "uid=$(id -u) euid=$(id -ur)"
grep -E '^(Uid|Gid|CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status
if [ -e /box/PWNED ]; then echo PWNED; cat /box/PWNED; exit 3; fi
exit 0
