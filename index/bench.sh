#!/bin/sh
# Query latency of exlog search against ripgrep on the same events.
#
# Builds (once; kept in $EXLOG_BENCH_DIR, default /tmp/exlog-bench) an index
# of $EXLOG_BENCH_EVENTS synthetic events (default 1,000,000: 12 nodes, a
# month of System and Application event logs, cluster logs and setup logs)
# plus an NDJSON export of the same events, then asks both the same
# questions and prints a table of latencies: the median of $BENCH_COUNT
# measurements, each the mean of $BENCH_RUNS runs. The median keeps one
# disturbed measurement on a shared machine from skewing the table.
#
#   index/bench.sh                  # from the repository root or anywhere
#   EXLOG_BENCH_EVENTS=100000 index/bench.sh
set -eu
cd "$(dirname "$0")/.."

if ! command -v rg >/dev/null 2>&1; then
	echo "bench.sh: installing ripgrep" >&2
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y ripgrep >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y ripgrep >/dev/null; }
	else
		sudo apt-get install -y ripgrep >/dev/null
	fi
fi
rg --version | head -n 1 >&2

export EXLOG_BENCH_EVENTS="${EXLOG_BENCH_EVENTS:-1000000}"
runs="${BENCH_RUNS:-5}"
count="${BENCH_COUNT:-5}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

echo "bench.sh: $EXLOG_BENCH_EVENTS events; the first run builds the index (minutes)" >&2
go test -run '^$' -bench '^BenchmarkSearch$' -benchtime "${runs}x" -count "$count" -timeout 3h ./index | tee "$out" >&2

echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '
/^# / { sub(/^# /, ""); if (!(($0) in noted)) { noted[$0] = 1; notes = notes "  " $0 "\n" }; next }
/^BenchmarkSearch\// {
	split($1, p, "/"); side = p[2]; q = p[3]; sub(/-[0-9]+$/, "", q)
	hits = ""; top = ""
	for (i = 4; i < NF; i++) { if ($(i+1) == "hits") hits = $i; if ($(i+1) == "top") top = $i }
	if (!(q in seen)) { seen[q] = 1; order[++n] = q }
	k = ++cnt[q, side]; v[q, side, k] = $3 / 1e6; h[q, side] = hits; tp[q, side] = top
}
function median(q, side,   m, i, j, x, a) {
	m = cnt[q, side]
	for (i = 1; i <= m; i++) a[i] = v[q, side, i]
	for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j+1] = a[j]; a[j+1] = x }
	return (m % 2) ? a[(m+1)/2] : (a[m/2] + a[m/2+1]) / 2
}
END {
	for (key in cnt) { split(key, kk, SUBSEP); t[kk[1], kk[2]] = median(kk[1], kk[2]) }
	printf "%s", notes
	printf "| question | exlog ms | rg ms | exlog hits | rg hits |\n|---|---:|---:|---:|---:|\n"
	for (i = 1; i <= n; i++) {
		q = order[i]
		ex = ((q, "exlog") in t) ? sprintf("%.1f", t[q, "exlog"]) : "-"
		if ((q, "bleve-unrewritten") in t) ex = ex sprintf(" (bleve unrewritten %.1f)", t[q, "bleve-unrewritten"])
		r = ((q, "rg") in t) ? sprintf("%.1f", t[q, "rg"]) : "-"
		eh = h[q, "exlog"]; if (tp[q, "exlog"] != "") eh = eh " (top " tp[q, "exlog"] ")"
		rh = h[q, "rg"]; if (tp[q, "rg"] != "") rh = rh " (top " tp[q, "rg"] ")"
		printf "| %s | %s | %s | %s | %s |\n", q, ex, r, eh, (rh == "" ? "-" : rh)
	}
}' "$out"
