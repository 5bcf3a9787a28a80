#!/usr/bin/env bash
# Compares two rbacscan binaries byte for byte on the outputs a refactoring
# must not change: the demo in every format, the JSON (and SARIF) of a
# generated 10,000-pod cluster, `pods`, `who-can`, `access` and `paths`
# answers, `dump`, and a fleet merge.
#
#   benches/same-output.sh BEFORE AFTER [WORKDIR]
#
# BEFORE and AFTER are built binaries (for example a copy of
# target/release/rbacscan made before the change, and the one after).
# Inputs are generated into WORKDIR (default /tmp/rbacscan-same) once and
# reused. Prints one line per output and exits 1 if any differs.
set -uo pipefail
before=$(readlink -f "${1:?usage: same-output.sh BEFORE AFTER [WORKDIR]}")
after=$(readlink -f "${2:?usage: same-output.sh BEFORE AFTER [WORKDIR]}")
work=${3:-/tmp/rbacscan-same}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/bin-before" "$work/bin-after"
# Each side runs as `rbacscan` (help and usage texts name the binary).
cp "$before" "$work/bin-before/rbacscan"
cp "$after" "$work/bin-after/rbacscan"
before="$work/bin-before/rbacscan"
after="$work/bin-after/rbacscan"

cluster="$work/r10000.json"
[ -s "$cluster" ] || python3 "$here/generate-realistic.py" 10000 "$cluster" >/dev/null
dense="$work/dense10000.json"
if [ ! -s "$dense" ] && [ -f "$here/../../shared/bench/gen-dense-cluster.py" ]; then
  python3 "$here/../../shared/bench/gen-dense-cluster.py" 10000 >"$dense"
fi

# name|arguments (the binary's; {out} is replaced by an output file)
cases=()
for f in table wide json yaml markdown sarif html; do
  cases+=("demo-$f|scan --demo -o $f --color never")
done
cases+=(
  "demo-pods|pods --demo --color never"
  "demo-pods-json|pods --demo -o json"
  "demo-all|scan --demo --all --color never"
  "demo-metrics|scan --demo -q -o json --output-file {out}.json --metrics-file {out}"
  "demo-who-can|who-can create pods/exec -n ci --demo"
  "demo-who-can-json|who-can get secrets -A --demo -o json"
  "demo-access|access sa:ci/deployer --demo"
  "demo-access-diff|access sa:ci/deployer --diff-with sa:monitoring/prometheus --demo -o json"
  "demo-paths|paths --demo"
  "demo-paths-from|paths --demo --from sa:monitoring/prometheus -o json"
  "demo-paths-dot|paths --demo -o dot"
  "demo-dump|dump --demo"
  "template|template"
  "schema|schema"
  "schema-fleet|schema --fleet"
  "help|--help"
  "help-scan|scan --help"
  "help-merge|merge --help"
  "help-paths|paths --help"
  "bad-template|scan --demo --template /dev/null"
  "bad-baseline|scan --demo --baseline /dev/null"
  "r10k-json|scan -f $cluster -o json"
  "r10k-sarif|scan -f $cluster -o sarif"
  "r10k-table|scan -f $cluster --color never"
  "r10k-pods|pods -f $cluster -o json"
  "r10k-paths|paths -f $cluster -o json"
  "r10k-who-can|who-can list secrets -A -f $cluster -o json"
)
if [ -s "$dense" ]; then
  cases+=("dense10k-json|scan -f $dense -o json" "dense10k-html|scan -f $dense -o html")
fi
# Baselines: the before side's reports, written by the cases above.
cases+=(
  "baseline-same|scan --demo -o json --baseline $work/before-demo-json.out --fail-on-new high"
  "baseline-other|scan -f $cluster --color never --baseline $work/before-dense10k-json.out --fail-on-new high"
)

run() { # binary name args -> writes $work/$side-name.{out,err,rc}
  local bin=$1 side=$2 name=$3 args=$4
  local out="$work/$side-$name"
  args=${args//\{out\}/$out.file}
  rm -f "$out.file" "$out.file.json"
  # shellcheck disable=SC2086
  "$bin" $args >"$out.out" 2>"$out.err"
  echo $? >"$out.rc"
  # the metrics file carries the scan's duration and time: compare its other lines
  if [ -f "$out.file" ]; then grep -v -e duration_seconds -e timestamp_seconds "$out.file" >>"$out.out"; fi
  if [ -f "$out.file.json" ]; then cat "$out.file.json" >>"$out.out"; fi
}

differ=0
for c in "${cases[@]}"; do
  name=${c%%|*}; args=${c#*|}
  run "$before" before "$name" "$args"
  run "$after" after "$name" "$args"
  if cmp -s "$work/before-$name.out" "$work/after-$name.out" \
    && cmp -s "$work/before-$name.err" "$work/after-$name.err" \
    && cmp -s "$work/before-$name.rc" "$work/after-$name.rc"; then
    echo "same    $name (exit $(cat "$work/after-$name.rc"), $(wc -c <"$work/after-$name.out") bytes)"
  else
    echo "DIFFERS $name: diff $work/before-$name.out $work/after-$name.out"; differ=1
  fi
done

# A fleet merge of the demo's report and the 10k cluster's, each side's
# files under the same names.
for side in before after; do
  bin=$before; [ $side = after ] && bin=$after
  mkdir -p "$work/fleet-$side"
  for f in demo-json r10k-json; do cp "$work/$side-$f.out" "$work/fleet-$side/$f.json"; done
  (cd "$work/fleet-$side" && "$bin" merge demo-json.json r10k-json.json -o json && "$bin" merge demo-json.json r10k-json.json --color never) >"$work/$side-merge.out" 2>"$work/$side-merge.err"
done
if cmp -s "$work/before-merge.out" "$work/after-merge.out" && cmp -s "$work/before-merge.err" "$work/after-merge.err"; then
  echo "same    merge ($(wc -c <"$work/after-merge.out") bytes)"
else
  echo "DIFFERS merge: diff $work/before-merge.out $work/after-merge.out"; differ=1
fi
exit $differ
