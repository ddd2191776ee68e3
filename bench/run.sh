#!/bin/sh
# dokeru benchmark: builds the release binary, then runs bench/bench.py.
#
#   sudo bench/run.sh              full run (a few minutes), table + bench/results/<date>-<hash>-<cgroup>.json
#   sudo bench/run.sh --quick      CI mode, under a minute
#   sudo bench/run.sh --install    first apt-get install bubblewrap (for the bwrap comparison)
#   sudo bench/run.sh --vm         build here, run the accuracy + per-run parts in the
#                                  emulated cgroup-v2 VM (../shared/vm/); accuracy numbers only
#   --out FILE, --parts LIST       passed to bench.py (see bench/bench.py --help)
#
# Honours CARGO_TARGET_DIR. Needs root (dokeru run needs root), gcc with static libc, python3.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
target=${CARGO_TARGET_DIR:-$repo/target}
vm=0
install=0
pass=""
for a in "$@"; do
    case "$a" in
    --vm) vm=1 ;;
    --install) install=1 ;;
    *) pass="$pass $a" ;;
    esac
done

if [ "$(id -u)" != 0 ]; then
    echo "bench: must run as root (dokeru run needs root); try: sudo $0 $*" >&2
    exit 1
fi

if [ "$install" = 1 ] && ! command -v bwrap >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends bubblewrap
fi

echo "bench: cargo build --release (target $target)" >&2
(cd "$repo" && cargo build --release --quiet)

# Prefer the system python 3.11 (the VM runs the host's /usr/bin without pyenv shims).
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

if [ "$vm" = 0 ]; then
    # shellcheck disable=SC2086
    exec "$py" "$here/bench.py" --dokeru "$target/release/dokeru" $pass
fi

vmscript=${CG2VM_SCRIPT:-$repo/../shared/vm/run-in-cgroup2-vm.sh}
[ -x "$vmscript" ] || vmscript=/work/shared/vm/run-in-cgroup2-vm.sh
if [ ! -x "$vmscript" ]; then
    echo "bench: no cgroup-v2 VM script ($vmscript); set CG2VM_SCRIPT" >&2
    exit 1
fi
progs=$target/bench-progs
"$py" "$here/bench.py" --build-progs "$progs"
echo "bench: running in the cgroup-v2 VM (emulated, ~20x slower: accuracy, not speed)" >&2
cd "$repo"
# shellcheck disable=SC2086
exec "$vmscript" --timeout 1800 --mem 3072 --share "$target" -- \
    "$py" "$here/bench.py" --vm --parts per_run,accuracy,trace --progs "$progs" \
    --dokeru "$target/release/dokeru" $pass
