#!/bin/sh
# Query latency of exlog search against ripgrep on the same events.
#
# Builds (once; kept in $EXLOG_BENCH_DIR, default /tmp/exlog-bench) an index
# of $EXLOG_BENCH_EVENTS synthetic events (default 1,000,000: 12 nodes, a
# month of System and Application event logs, cluster logs and setup logs)
# plus an NDJSON export of the same events, then asks both the same
# questions and prints a table of mean latencies over $BENCH_RUNS runs.
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
runs="${BENCH_RUNS:-10}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

echo "bench.sh: $EXLOG_BENCH_EVENTS events; the first run builds the index (minutes)" >&2
go test -run '^$' -bench '^BenchmarkSearch$' -benchtime "${runs}x" -timeout 3h ./index | tee "$out" >&2

echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '
/^# / { sub(/^# /, ""); notes = notes "  " $0 "\n"; next }
/^BenchmarkSearch\// {
	split($1, p, "/"); side = p[2]; q = p[3]; sub(/-[0-9]+$/, "", q)
	ms = $3 / 1e6; hits = ""; top = ""
	for (i = 4; i < NF; i++) { if ($(i+1) == "hits") hits = $i; if ($(i+1) == "top") top = $i }
	if (!(q in seen)) { seen[q] = 1; order[++n] = q }
	t[q, side] = ms; h[q, side] = hits; tp[q, side] = top
}
END {
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
