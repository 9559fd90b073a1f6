#!/usr/bin/env bash
# Benchmarks the release broker with the shared kbench suite (../shared/bench, C + librdkafka).
#
#   scripts/bench.sh                     the standard suite a-f, REPS=3 (about 6-8 min per repetition)
#   REPS=1 scripts/bench.sh              one repetition
#   QUICK=1 scripts/bench.sh             1/10-size smoke run (~1 min)
#   TESTS="a e h" scripts/bench.sh       a subset (g and h are optional extras, see ../shared/bench/README.md)
#   KBENCH_ARGS="-X enable.idempotence=true" scripts/bench.sh
#   BIN=/tmp/old/tributary scripts/bench.sh   that binary instead of building one (a before/after pair)
#   COMPARE_WITH=/tmp/tributary-bench.X/results/results.jsonl scripts/bench.sh   also the side-by-side table
#                                        (summarize_run.py --compare: that run, then this one, with ratios)
#   PROFILE=perf TESTS=h scripts/bench.sh   sample the broker with perf (cpu-clock, 499 Hz, no call graphs) during
#                                        the tests and print where its CPU went: the top 10 symbols by self time
#                                        (this VM has no hardware counters, so no instruction counts)
#   IDLE_CONNS=10000 scripts/bench.sh    hold that many idle connections (each sent one ApiVersions) through the
#                                        suite: prints the RSS they add; compare the table with a run without
#
# Other env: PORT (broker port; default: a free one, the controller listener takes PORT+1), SCRATCH (SwiftPM
# scratch dir, default .build-bench), NO_BUILD=1 (reuse the binary in SCRATCH), KEEP=1 (keep the temp dir with
# the broker's data and log), BENCH_SRC (default ../shared/bench).
#
# Steps: installs librdkafka-dev/pkg-config when missing, copies the bench to a temp dir and builds kbench there,
# builds `tributary` in release, starts it on a fresh data dir (timing exec -> first ApiVersions/Metadata answer),
# records idle RSS, runs bench/run.sh one test at a time with BROKER_PID (per-test broker CPU s and peak RSS),
# asking the broker before and after each test for the requests it served (SIGUSR1 logs "requests served: ..."),
# stops the broker with SIGTERM and prints the tables: per test broker CPU µs per message and per request. It prints figures only; it never asserts timings. Exit status: run.sh's (0 all
# tests passed, 1 a test failed, 2 no broker), or 3 when the broker did not build or start.
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
src="${BENCH_SRC:-$here/../shared/bench}"
scratch="${SCRATCH:-.build-bench}"
log() { echo "[bench.sh $(date -u +%H:%M:%S)] $*" >&2; }

# 1. kbench prerequisites and build, in a private copy (the shared folder is read-only).
if ! command -v pkg-config >/dev/null || ! pkg-config --exists rdkafka 2>/dev/null; then
  log "installing librdkafka-dev pkg-config"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librdkafka-dev pkg-config; } >&2 \
    || { echo "bench.sh: cannot install librdkafka-dev" >&2; exit 3; }
fi
[ -f "$src/run.sh" ] || { echo "bench.sh: no bench at $src" >&2; exit 3; }
tmp="$(mktemp -d /tmp/tributary-bench.XXXXXX)"
cp -r "$src" "$tmp/bench" && chmod -R u+w "$tmp/bench"
rm -rf "$tmp/bench/.build" "$tmp/bench/results"
make -s -C "$tmp/bench" >&2 || { echo "bench.sh: kbench build failed" >&2; exit 3; }

# 2. The release broker.
case "$scratch" in /*) bin="$scratch/release/tributary" ;; *) bin="$here/$scratch/release/tributary" ;; esac
if [ -n "${BIN:-}" ]; then
  bin="$BIN"
elif [ "${NO_BUILD:-0}" != 1 ]; then
  log "swift build -c release --scratch-path $scratch --product tributary"
  (cd "$here" && swift build -c release --scratch-path "$scratch" --product tributary >"$tmp/build.log" 2>&1) \
    || { tail -30 "$tmp/build.log" >&2; echo "bench.sh: build failed" >&2; exit 3; }
fi
[ -x "$bin" ] || { echo "bench.sh: no binary at $bin" >&2; exit 3; }

# 3. Start it on a fresh data dir, timing exec -> first answered request.
port="${PORT:-$(python3 -c 'import socket
for p in range(19092, 19992, 2):
    ok = True
    for q in (p, p + 1):
        s = socket.socket()
        try: s.bind(("127.0.0.1", q))
        except OSError: ok = False
        finally: s.close()
    if ok: print(p); break')}"
bootstrap="127.0.0.1:$port"
mkdir -p "$tmp/data"
broker_pid=""
stop_broker() {
  [ -n "$broker_pid" ] || return 0
  if kill -0 "$broker_pid" 2>/dev/null; then
    local t0; t0=$(date +%s.%N)
    kill -TERM "$broker_pid" 2>/dev/null
    for _ in $(seq 200); do kill -0 "$broker_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$broker_pid" 2>/dev/null; then
      log "broker pid $broker_pid ignored SIGTERM for 20 s: SIGKILL"; kill -KILL "$broker_pid" 2>/dev/null
    else
      log "broker stopped by SIGTERM in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s"
    fi
  fi
  broker_pid=""
}
cleanup() { stop_broker; if [ "${KEEP:-0}" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp/data"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The starter execs the broker (own session, log to a file), polls ApiVersions v0 then Metadata v1 every 5 ms
# with a raw socket and prints "pid ms_to_apiversions ms_to_metadata".
start_out="$(python3 - "$bin" "$tmp/data" "$port" "$tmp/broker.log" <<'PY'
import os, socket, struct, subprocess, sys, time
binary, data, port, logpath = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
args = [binary, "server",
        "--override", f"log.dirs={data}",
        "--override", f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{port + 1}",
        "--override", f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}"]
def request(key, version, body):
    cid = b"bench.sh"
    hdr = struct.pack(">hhih", key, version, 7, len(cid)) + cid
    msg = hdr + body
    s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
    try:
        s.sendall(struct.pack(">i", len(msg)) + msg)
        n = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        got = b""
        while len(got) < n:
            chunk = s.recv(n - len(got))
            if not chunk: raise OSError("closed")
            got += chunk
        assert struct.unpack(">i", got[:4])[0] == 7
        return got
    finally:
        s.close()
log = open(logpath, "wb")
t0 = time.monotonic()
p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
times = []
for key, version, body in ((18, 0, b""), (3, 1, struct.pack(">i", -1))):
    while True:
        if p.poll() is not None:
            print(f"{p.pid} exited {p.returncode}"); sys.exit(0)
        if time.monotonic() - t0 > 90:
            print(f"{p.pid} timeout"); sys.exit(0)
        try:
            request(key, version, body); break
        except (OSError, AssertionError, struct.error):
            time.sleep(0.005)
    times.append((time.monotonic() - t0) * 1000)
print(p.pid, f"{times[0]:.0f}", f"{times[1]:.0f}")
PY
)"
read -r broker_pid start_a start_m <<<"$start_out"
if [ -z "$broker_pid" ] || [ "$start_a" = exited ] || [ "$start_a" = timeout ]; then
  echo "bench.sh: broker did not start ($start_out); log:" >&2; tail -30 "$tmp/broker.log" >&2; exit 3
fi
log "broker pid $broker_pid at $bootstrap: ApiVersions answered ${start_a} ms after exec, Metadata ${start_m} ms"
sleep 1
rss_kb() { awk -v k="$2" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
idle_rss="$(rss_kb "$broker_pid" VmRSS:)"
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / t }' "/proc/$1/stat" 2>/dev/null; }
cpu_start="$(cpu_s "$broker_pid")"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# 4. Optional idle connections, held by one process for the whole suite (loopback only; it exits with bench.sh).
holder_pid=""
if [ "${IDLE_CONNS:-0}" -gt 0 ]; then
  rss_before_idle="$(rss_kb "$broker_pid" VmRSS:)"
  python3 - "$port" "$IDLE_CONNS" > "$tmp/idle.txt" 2>&1 <<'PY' &
import resource, socket, struct, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
cid = b"idle"
req = struct.pack(">hhih", 18, 0, 1, len(cid)) + cid
conns = []
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(struct.pack(">i", len(req)) + req)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        s.recv(size, socket.MSG_WAITALL)
        conns.append(s)
    except OSError as e:
        print(f"stopped at {len(conns)} connections: {e}", flush=True)
        break
print(f"holding {len(conns)}", flush=True)
time.sleep(24 * 3600)  # killed by bench.sh at the end
PY
  holder_pid=$!
  for _ in $(seq 600); do grep -q "holding" "$tmp/idle.txt" 2>/dev/null && break; sleep 0.5; done
  sleep 2
  rss_after_idle="$(rss_kb "$broker_pid" VmRSS:)"
  log "idle connections: $(cat "$tmp/idle.txt"); broker RSS $((rss_before_idle / 1024)) MB -> $((rss_after_idle / 1024)) MB"
fi

# 5. The suite, one test at a time (run.sh samples the broker through BROKER_PID; its tables go to stdout),
# with the broker's request counts around each test.
out="$tmp/results"
mkdir -p "$out"
# A binary without the counts (older than SIGUSR1's handler) would die of the signal: then no counts are asked.
counts=no; grep -q "requests served" "$bin" 2>/dev/null && counts=yes
[ "$counts" = yes ] || log "$bin has no request counts (SIGUSR1): the per-request columns stay empty"
served() { # the broker's last "requests served" line after asking for a new one
  [ "$counts" = yes ] || return 0
  local before; before=$(grep -c "requests served" "$tmp/broker.log")
  kill -USR1 "$broker_pid" 2>/dev/null || return 0
  for _ in $(seq 100); do [ "$(grep -c "requests served" "$tmp/broker.log")" -gt "$before" ] && break; sleep 0.05; done
  grep "requests served" "$tmp/broker.log" | tail -1 | sed 's/.*requests served: //'
}
( # sample the load average every 5 s during the run
  while kill -0 "$broker_pid" 2>/dev/null; do cut -d' ' -f1 /proc/loadavg >> "$tmp/loadavg.txt"; sleep 5; done ) &
sampler=$!
perf_pid=""
if [ "${PROFILE:-}" = perf ]; then
  if ! command -v perf >/dev/null; then
    log "installing linux-perf"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf; } >&2 || log "cannot install linux-perf: no profile"
  fi
  if command -v perf >/dev/null; then
    perf record -q -e cpu-clock -F 499 -p "$broker_pid" -o "$tmp/perf.data" 2>"$tmp/perf.log" &
    perf_pid=$!
  fi
fi
reps="${REPS:-3}"; [ "${QUICK:-0}" = 1 ] && reps=1
rc=0
for rep in $(seq "$reps"); do
  for t in ${TESTS:-a b c d e f}; do
    before="$(served)"
    BROKER_PID="$broker_pid" LABEL=tributary OUT="$out" TESTS="$t" REPS=1 "$tmp/bench/run.sh" "$bootstrap" >> "$tmp/run-output.txt"
    r=$?; [ "$r" -gt "$rc" ] && rc=$r
    after="$(served)"
    printf '%s\t%s\t%s\t%s\n' "$t" "$rep" "$before" "$after" >> "$out/requests.tsv"
  done
done
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
if [ -n "$perf_pid" ]; then kill -INT "$perf_pid" 2>/dev/null; wait "$perf_pid" 2>/dev/null; fi
[ -n "$holder_pid" ] && { kill "$holder_pid" 2>/dev/null; wait "$holder_pid" 2>/dev/null; }
cpu_end="$(cpu_s "$broker_pid")"
hwm="$(rss_kb "$broker_pid" VmHWM:)"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
alive=yes; kill -0 "$broker_pid" 2>/dev/null || alive="NO (crashed; see log)"
stop_broker

# 6. Our figures next to Kafka 3.7.1's (measured on this machine kind on another day: compare shapes, not digits).
echo
echo "### tributary vs Kafka 3.7.1 reference"
echo
python3 - "$out/results.jsonl" "$out/requests.tsv" <<'PY'
import json, re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("{"):
        d = json.loads(line)
        rows.setdefault(d.get("label"), []).append(d)
# Requests each test made the broker serve: the difference of the counts logged before and after it, matched to
# the test's result lines in order (run.sh names a test's rows by a label starting with its letter).
def parse(text):
    m = re.match(r"total (\d+);(.*)", text or "")
    if not m: return None
    apis = dict((k, int(v)) for k, v in re.findall(r"(\w+) (\d+)", m.group(2)))
    return int(m.group(1)), apis
requests = {}
try:
    for line in open(sys.argv[2]):
        t, rep, before, after = (line.rstrip("\n").split("\t") + ["", "", "", ""])[:4]
        b, a = parse(before), parse(after)
        if a is None: continue
        b = b or (0, {})
        delta = {k: v - b[1].get(k, 0) for k, v in a[1].items()}
        requests.setdefault(t, []).append((a[0] - b[0], delta))
except FileNotFoundError:
    pass
for label, rs in rows.items():
    # A failed run has a row too (without CPU figures), so rows and counts pair up in order.
    for r, q in zip(rs, requests.get(label[:1], [])):
        r["requests"], r["requests_by_api"] = q
def med(label, key, scale=1.0):
    v = [r[key] for r in rows.get(label, []) if r.get(key) is not None]
    return None if not v else statistics.median(v) * scale
def per_msg(label):
    v = []
    for r in rows.get(label, []):
        n = r.get("delivered") or r.get("consumed") or r.get("received")
        if r.get("test") == "conns" and r.get("records_per_s") and r.get("elapsed_s"):
            n = r["records_per_s"] * r["elapsed_s"]
        if r.get("broker_cpu_s") is not None and n: v.append(r["broker_cpu_s"] * 1e6 / n)
    return statistics.median(v) if v else None
def per_request(label):
    v = [r["broker_cpu_s"] * 1e6 / r["requests"] for r in rows.get(label, [])
         if r.get("broker_cpu_s") is not None and r.get("requests")]
    return statistics.median(v) if v else None
def requests_of(label, api=None):
    v = [(r["requests_by_api"].get(api, 0) if api else r["requests"]) for r in rows.get(label, []) if r.get("requests")]
    return statistics.median(v) if v else None
def f(v, fmt): return "-" if v is None else fmt.format(v)
spec = [
    ("a_produce_100B_acks1_p1", "produce 100 B acks=1 (rec/s)", "records_per_s", "{:,.0f}", "1,720,000"),
    ("b_produce_100B_acksall_p6", "produce 100 B acks=all 6 part. (rec/s)", "records_per_s", "{:,.0f}", "1,370,000"),
    ("c_produce_1KiB_acks1_p1", "produce 1 KiB acks=1 (MB/s)", "MB_per_s", "{:,.1f}", "401"),
    ("d_consume_100B_p1", "consume 100 B (rec/s)", "records_per_s", "{:,.0f}", "970,000"),
    ("e_e2e_5k_acksall_p1", "e2e 5k msg/s p50 / p99 (ms)", None, None, "3.3 / 6.3"),
    ("h_e2e_5k_acksall_p1_linger0", "e2e 5k msg/s linger 0 p50 / p99 (ms)", None, None, "0.42 / 59"),
    ("f_conns100_batch10_p6", "100 connections (batches/s)", "batches_per_s", "{:,.0f}", "143,000"),
    ("g_produce_100B_50k_rate_acksall_p1", "produce 50k msg/s acks=all p50 / p99 (ms)", None, None, "-"),
]
print("| test | tributary | broker CPU µs/msg | requests (Produce / Fetch) | broker CPU µs/request | broker RSS peak MB | failed runs | Kafka 3.7.1 |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for label, name, key, fmt, kafka in spec:
    if label not in rows: continue
    if key is None:
        val = f"{f(med(label, 'lat_ms_p50'), '{:.2f}')} / {f(med(label, 'lat_ms_p99'), '{:.2f}')}"
    else:
        val = f(med(label, key), fmt)
    failed = sum(1 for r in rows[label] if r.get("test") == "failed")
    ref = kafka + (" (0.26 µs/msg)" if label.startswith("a_") else "")
    reqs = f"{f(requests_of(label), '{:,.0f}')} ({f(requests_of(label, 'Produce'), '{:,.0f}')} / {f(requests_of(label, 'Fetch'), '{:,.0f}')})"
    print(f"| {name} | {val} | {f(per_msg(label), '{:.2f}')} | {reqs} | {f(per_request(label), '{:.1f}')} | {f(med(label, 'broker_rss_peak_MB'), '{:.0f}')} | {failed} | {ref} |")
PY
loads="$(sort -n "$tmp/loadavg.txt" 2>/dev/null | awk '{a[NR]=$1} END{if(NR) printf "min %s, median %s, max %s", a[1], a[int((NR+1)/2)], a[NR]}')"
cat <<EOF

| broker | tributary | Kafka 3.7.1 |
|---|---:|---:|
| exec -> ApiVersions answered | ${start_a} ms | ~1.2 s |
| exec -> Metadata answered | ${start_m} ms | |
| idle RSS 1 s after start | $(awk -v k="$idle_rss" 'BEGIN{printf "%.1f", k/1024}') MB | |
| CPU over the suite | $(awk -v a="$cpu_start" -v b="$cpu_end" 'BEGIN{printf "%.2f", b-a}') s | |
| peak RSS (VmHWM) | $(awk -v k="$hwm" 'BEGIN{printf "%.0f", k/1024}') MB | 1,180 MB |
| alive at the end | $alive | |

load average (1 min): before ${load_before%% *} (1/5/15: $load_before), during the run: ${loads:-n/a}, after $load_after ($(nproc) cpus)
results: $out (results.jsonl, kbench.log, summary.md); broker log: $tmp/broker.log
EOF
if [ -n "$perf_pid" ] && [ -s "$tmp/perf.data" ]; then
  echo
  echo "### where the broker's CPU went (perf cpu-clock samples, self time, top 10)"
  echo
  perf report -i "$tmp/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
    | awk '/^ +[0-9.]+%/ { n++; sub(/^ +/, ""); print "    " $0; if (n == 10) exit }' \
    | { if command -v swift-demangle >/dev/null; then swift-demangle --simplified; else cat; fi; } | cut -c1-160
  perf report -i "$tmp/perf.data" --no-children --sort dso --stdio 2>/dev/null \
    | awk '/^ +[0-9.]+%/ { n++; sub(/^ +/, ""); printf "%s%s", (n > 1 ? ", " : "by object: "), $0 } END { print "" }'
fi
if [ -n "${COMPARE_WITH:-}" ]; then
  echo
  echo "### $COMPARE_WITH (A) vs this run (B)"
  echo
  python3 "$tmp/bench/summarize_run.py" --compare "$COMPARE_WITH" "$out/results.jsonl" --names before after
fi
[ "${KEEP:-0}" = 1 ] || log "(KEEP=1 keeps the broker's data dir too)"
exit "$rc"
