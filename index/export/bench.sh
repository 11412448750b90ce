#!/bin/sh
# Events per second that exlog export sends to a local VictoriaLogs.
#
# Builds exlog, starts VictoriaLogs ($EXLOG_VICTORIALOGS, or victoria-logs
# on PATH; .ci/run builds one) on 127.0.0.1 with its data in a temporary
# directory, indexes the bundle once with exlog triage, then exports it
# $BENCH_RUNS times (default 3) three ways and prints each run's wall and
# CPU time (/usr/bin/time) with exlog's own summary line:
#
#   index   exlog export --to URL --index CASE.exlog   (no parsing: the exporter and the engine)
#   bundle  exlog export --to URL BUNDLE                (findings pass + event pass + the exporter)
#   file    exlog export --out /dev/null --index CASE.exlog   (the same without network or engine)
#
#   index/export/bench.sh                    # the shared corpus
#   index/export/bench.sh path/to/bundle.zip
set -eu
cd "$(dirname "$0")/../.."

bundle="${1:-../shared/corpus}"
runs="${BENCH_RUNS:-3}"
vl="${EXLOG_VICTORIALOGS:-$(command -v victoria-logs || true)}"
[ -x "$vl" ] || { echo "bench.sh: set EXLOG_VICTORIALOGS to a victoria-logs binary" >&2; exit 2; }

dir="$(mktemp -d)"
trap 'kill "$vlpid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/exlog" ./cmd/exlog
port=$(( 20000 + $$ % 20000 ))
"$vl" -storageDataPath="$dir/vl" -retentionPeriod=100y -futureRetention=100y \
	-httpListenAddr="127.0.0.1:$port" -loggerLevel=WARN >"$dir/vl.log" 2>&1 &
vlpid=$!
url="http://127.0.0.1:$port/insert/elasticsearch"
i=0
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$dir/vl.log" >&2; exit 1; }; sleep 0.1
done

"$dir/exlog" triage --index "$dir/case.exlog" --format json "$bundle" >/dev/null 2>&1 || true
echo "bundle: $bundle; $(nproc) cores; $vl; load average $(cut -d" " -f1-3 /proc/loadavg)"
for r in $(seq "$runs"); do
	for how in index bundle file; do
		case $how in
		index) set -- --to "$url" --case "bench-$how-$r" --index "$dir/case.exlog" ;;
		bundle) set -- --to "$url" --case "bench-$how-$r" "$bundle" ;;
		file) set -- --out /dev/null --index "$dir/case.exlog" ;;
		esac
		printf '%-6s run %s: ' "$how" "$r"
		/usr/bin/time -f '%e s wall, %U+%S s CPU, %M KB max RSS' "$dir/exlog" export "$@" 2>"$dir/err" >/dev/null || true
		tail -n 1 "$dir/err"
		grep 'documents/s\|documents written' "$dir/err" | sed 's/^/        /'
	done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
