#!/usr/bin/env bash
# Times exlog's EVTX reader and libevtx's evtxexport on the same files, in
# one run, and prints the speed ratio.
#
# Usage: parse/evtx/compare_evtxexport.sh [-n RUNS] [FILE.evtx...]
#
# Without files it uses the throughput set of the research notes (evtx.md
# section 4) from ../shared/corpus/evtx. exlog is measured through its CLI,
# `exlog parse --format ndjson FILES` (the binary named by $EXLOG, an
# `exlog` on PATH, or one built here from ./cmd/exlog); when no CLI can be
# had it falls back to the package benchmark (go test -bench). evtxexport
# runs in its default text mode, its fastest, one file after the other as it
# only reads one file per call. The two tools alternate within each round
# so that load from other processes hits both alike; the best and the median
# round are reported.
set -euo pipefail

runs=5
if [[ "${1:-}" == "-n" ]]; then
	runs=$2
	shift 2
fi

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus="$root/../shared/corpus/evtx"

files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
	for f in app-many-classic-providers-esent-msi.evtx system-scm-7036-7040-5k-events.evtx \
		large-security-2261-events-dirty.evtx large-security-smb-password-guessing-3mb.evtx \
		large-grouppolicy-irregular-bool-values.evtx security-size-t-values.evtx; do
		files+=("$corpus/$f")
	done
fi
for f in "${files[@]}"; do
	[[ -r "$f" ]] || { echo "cannot read $f" >&2; exit 2; }
done

command -v evtxexport >/dev/null || { echo "evtxexport not found (apt-get install libevtx-utils)" >&2; exit 2; }

bytes=$(cat "${files[@]}" | wc -c)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

exlog=${EXLOG:-}
if [[ -z "$exlog" ]] && command -v exlog >/dev/null; then
	exlog=$(command -v exlog)
fi
if [[ -z "$exlog" ]] && (cd "$root" && go build -o "$tmp/exlog" ./cmd/exlog) 2>/dev/null; then
	exlog="$tmp/exlog"
fi

now() { date +%s.%N; }

# seconds CMD... runs CMD with output discarded and prints the wall time.
seconds() {
	local t0 t1
	t0=$(now)
	"$@" >/dev/null 2>&1
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}

evtxexport_all() {
	local f
	for f in "${files[@]}"; do evtxexport "$f"; done
}

# Counts, once, so the reader of the output can see both read everything.
n_exp=$(evtxexport_all 2>/dev/null | grep -c '^Event number' || true)

stats() { # prints "best median" of the numbers on stdin
	sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f %.3f\n", a[1], m}'
}

if [[ -n "$exlog" ]]; then
	n_ex=$("$exlog" parse --format ndjson "${files[@]}" 2>/dev/null | wc -l)
	: >"$tmp/exlog.t"; : >"$tmp/exlog1.t"; : >"$tmp/exp.t"
	for ((i = 0; i < runs; i++)); do
		seconds "$exlog" parse --format ndjson "${files[@]}" >>"$tmp/exlog.t"
		seconds "$exlog" parse --format ndjson --workers 1 "${files[@]}" >>"$tmp/exlog1.t"
		seconds evtxexport_all >>"$tmp/exp.t"
	done
	read -r ex_best ex_med <<<"$(stats <"$tmp/exlog.t")"
	read -r ex1_best ex1_med <<<"$(stats <"$tmp/exlog1.t")"
	read -r exp_best exp_med <<<"$(stats <"$tmp/exp.t")"
	mbs() { echo "scale=1; $bytes / 1048576 / $1" | bc -l; }
	echo "files: ${#files[@]}, $bytes bytes; $runs rounds; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-44s %8s %8s %9s %9s\n' "tool" "best s" "median s" "MB/s best" "records"
	printf '%-44s %8s %8s %9s %9s\n' "exlog parse --format ndjson" "$ex_best" "$ex_med" "$(mbs "$ex_best")" "$n_ex"
	printf '%-44s %8s %8s %9s %9s\n' "exlog parse --format ndjson --workers 1" "$ex1_best" "$ex1_med" "$(mbs "$ex1_best")" "$n_ex"
	printf '%-44s %8s %8s %9s %9s\n' "evtxexport (text), one file after the other" "$exp_best" "$exp_med" "$(mbs "$exp_best")" "$n_exp"
	echo "ratio evtxexport/exlog (above 1: exlog is faster): best $(echo "scale=2; $exp_best / $ex_best" | bc -l), median $(echo "scale=2; $exp_med / $ex_med" | bc -l)"
	echo "ratio evtxexport/exlog --workers 1:              best $(echo "scale=2; $exp_best / $ex1_best" | bc -l), median $(echo "scale=2; $exp_med / $ex1_med" | bc -l)"
else
	echo "no exlog CLI could be built; using the package benchmark" >&2
	: >"$tmp/exp.t"
	for ((i = 0; i < runs; i++)); do
		seconds evtxexport_all >>"$tmp/exp.t"
	done
	read -r exp_best exp_med <<<"$(stats <"$tmp/exp.t")"
	bench=$(cd "$root" && go test -run XXX -bench BenchmarkCorpus -benchtime "${runs}x" ./parse/evtx | awk '/^BenchmarkCorpus/ {print $3/1e9}')
	echo "files: benchmark set; $(nproc) CPUs"
	echo "exlog (go test -bench, per round): ${bench} s; evtxexport best ${exp_best} s, median ${exp_med} s ($n_exp records)"
	echo "ratio evtxexport/exlog (above 1: exlog is faster): $(echo "scale=2; $exp_med / $bench" | bc -l)"
fi
