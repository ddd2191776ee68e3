#!/usr/bin/env bash
# test-vm.sh - run dokeru's cgroup-dependent integration tests, as root, in the cgroup-v2 VM.
#
# The dev/CI hosts run cgroup v1 (hybrid); `cargo test` there covers v1. This script builds the
# test executables on the host (fast), compiles the C test programs on the host (cached in
# CARGO_TARGET_TMPDIR, which the VM sees at the same path), then boots the VM
# (../shared/vm/run-in-cgroup2-vm.sh, relative to the repository root) once per test
# executable and runs it there directly with --test-threads=1: the VM is ~20x slower (TCG).
# Inside, CG2VM=1 is set, which enables the dangerous hostile tests (fork bomb, memory bomb).
#
# Usage: scripts/test-vm.sh [TEST-FILTER...]   (extra args go to every test executable)
# Env: DOKERU_VM_TIMEOUT (seconds per executable, default 2400), DOKERU_VM_DIR (the vm/ dir).
# Prints a final line "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail

repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$repo"
vm_dir=${DOKERU_VM_DIR:-$repo/../shared/vm}
vm=$vm_dir/run-in-cgroup2-vm.sh
[ -x "$vm" ] || [ -f "$vm" ] || { echo "test-vm.sh: no VM runner at $vm" >&2; exit 2; }
timeout=${DOKERU_VM_TIMEOUT:-2400}
# The soak test picks its own (smaller) count in the emulated VM.
unset DOKERU_SOAK_RUNS

# Test files whose tests depend on the cgroup (all of them, or the listed ones).
binaries=(run_limits run_hostile run_status run_prepared fault_tolerance run_hostile_suite judge_packages doctor)
declare -A only=(
  [run_status]="ok_result_has_every_field_and_default_limits output_beyond_limit_1000_keeps_exactly_1000_bytes exit_code_3_is_nonzero_exit"
  [judge_packages]="vm_compiler_bombs_are_compile_error_within_the_compile_limits vm_correct_output_then_cpu_loop_is_time_limit_exceeded vm_correct_output_then_memory_is_memory_limit_exceeded vm_crashed_validator_is_judge_error vm_interactor_rejects_first_then_submission_hangs_is_wrong_answer vm_thirdparty_validator_and_testlib_checker"
)

echo "== building the test executables on the host"
target_args=()
for b in "${binaries[@]}" run_cli; do target_args+=(--test "$b"); done
json=$(cargo test --no-run --message-format=json "${target_args[@]}")
declare -A exe
while IFS=$'\t' read -r name path; do exe[$name]=$path; done < <(
  printf '%s\n' "$json" | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "test" in m["target"]["kind"]:
        print(m["target"]["name"] + "\t" + m["executable"])
')

echo "== compiling the test programs on the host"
"${exe[run_cli]}" --exact test_programs_compile --quiet
"${exe[run_hostile_suite]}" --exact hostile_suite_compiles --quiet

# The VM shares the cwd (the repo) read-write; the target dir too, when it lives elsewhere.
share=()
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
case "$target/" in "$repo"/*) ;; *) share+=(--share "$target") ;; esac

passed=0 failed=0 status=0
for b in "${binaries[@]}"; do
  path=${exe[$b]:-}
  [ -n "$path" ] || { echo "test-vm.sh: no executable for $b" >&2; status=1; continue; }
  filters=("$@")
  exact=()
  if [ ${#filters[@]} -eq 0 ] && [ -n "${only[$b]:-}" ]; then
    read -r -a filters <<< "${only[$b]}"
    exact=(--exact)
  fi
  echo "== $b in the cgroup-v2 VM"
  log=$(mktemp /tmp/dkt-vm-log.XXXXXX)
  set +e
  # 3 GiB: the template-explosion compile bomb may take its whole 1.5 GiB limit.
  "$vm" --timeout "$timeout" --mem 3072 "${share[@]}" -- \
    "$path" --test-threads=1 "${exact[@]}" "${filters[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  line=$(grep -E '^test result:' "$log" | tail -1 || true)
  p=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<< "$line")
  f=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<< "$line")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$rc" -ne 0 ]; then
    status=1
    # No result line at all (VM failure, timeout): count the executable as one failure.
    [ -n "$line" ] || { echo "test-vm.sh: $b: VM exit status $rc without a test result" >&2; failed=$((failed + 1)); }
  fi
  rm -f "$log"
done
echo "$passed passed, $failed failed"
exit $status
