#!/usr/bin/env bash
# Probes of issue 15 (safety and data durability), run against a labrig checkout; prints one
# Markdown table row per probe: | probe | observed |. Observations only: no verdicts, so the same
# script gives the "before" and "after" columns of the issue's closing note.
#
#   scripts/probes/safety-probes.sh [CHECKOUT]      (default: the checkout holding this script)
#
# Everything it starts (simulators, labrig commands, helper servers) runs under a PID it tracks
# and is killed on exit; its files live in one temp folder removed on exit. Loopback only.
set -u
ROOT=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
LABRIG=(node "$ROOT/bin/labrig.js")
WORK=$(mktemp -d /tmp/labrig-probes-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# row PROBE OBSERVED: one table row, newlines and pipes flattened, at most 220 characters.
row() { printf '| %s | %s |\n' "$1" "$(printf '%s' "$2" | tr '\n|' ' /' | tr -s ' ' | cut -c1-220)"; }
# lab ARGS...: run labrig with a time limit; sets RC and OUT (stdout+stderr).
lab() { OUT=$(timeout 60 "${LABRIG[@]}" "$@" 2>&1); RC=$?; }
# stack TEXT: whether TEXT holds a JavaScript stack trace.
stack() { if grep -qE '^\s+at .+[:(]' <<<"$1"; then echo 'stack trace: yes'; else echo 'stack trace: no'; fi; }
first() { grep -v '^\s*$' <<<"$1" | head -${2:-1}; }

# start_sim NAME ARGS...: start `labrig sim`, wait for its address (first line); sets SIM_PID, SIM_ADDR.
start_sim() {
  local out="$WORK/sim-$RANDOM.out"
  "${LABRIG[@]}" sim "$@" >"$out" 2>&1 &
  SIM_PID=$!
  PIDS+=("$SIM_PID")
  SIM_ADDR=''
  for _ in $(seq 600); do
    SIM_ADDR=$(grep -m1 -oE '^[a-z][a-z0-9+.]*://[^ ]+' "$out" 2>/dev/null || true)
    [ -n "$SIM_ADDR" ] && return 0
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
  done
  SIM_ADDR="(sim did not start: $(head -c 200 "$out"))"
}
stop_pid() { kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# wait_exit PID SECONDS: wait for a background labrig to end; sets RC (124 if it had to be killed).
wait_exit() {
  local i
  for i in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then stop_pid "$1"; RC=124; else wait "$1"; RC=$?; fi
}
now_ms() { date +%s%3N; }
# servo_on GALIL_URI: send SH (servo here) for axes A-D straight to the simulator, as a user would first.
servo_on() {
  node -e '
const u = new URL(process.argv[1].replace(/^galil\+tcp/, "http"));
const s = require("net").connect(Number(u.port), u.hostname, () => s.write("SHABCD\r"));
s.on("data", () => s.end()); setTimeout(() => process.exit(0), 5000).unref();' "$1" >/dev/null 2>&1
}
# wait_file GLOB SECONDS: wait until a file matching GLOB exists.
wait_file() { local i; for i in $(seq $(($2 * 10))); do compgen -G "$1" >/dev/null && return 0; sleep 0.1; done; return 1; }

echo "labrig safety probes (issue 15) against $ROOT ($(git -C "$ROOT" log --oneline -1 2>/dev/null)), $(date -u +%FT%TZ)"
echo
echo '| probe | observed |'
echo '|---|---|'

# --- Hardware left running -------------------------------------------------------------------
for sig in INT TERM HUP; do
  start_sim galil --tcp 127.0.0.1:0
  G=$SIM_ADDR
  servo_on "$G"
  "${LABRIG[@]}" set "$G" A 2000000 >"$WORK/set-$sig.out" 2>&1 &
  P=$!; PIDS+=("$P")
  sleep 3
  t0=$(now_ms); kill -"$sig" "$P" 2>/dev/null; wait_exit "$P" 20; t1=$(now_ms); SET_RC=$RC
  lab read "$G" A.moving A.motorOn
  row "labrig set \$G A 2000000 (servo on), SIG$sig after 3 s" "exit $SET_RC after $((t1 - t0)) ms; then read: $(echo $OUT)"
  stop_pid "$SIM_PID"
done

for sig in INT TERM; do
  "${LABRIG[@]}" demo --out "$WORK/demo-$sig" --no-table >"$WORK/demo-$sig.out" 2>&1 &
  P=$!; PIDS+=("$P")
  wait_file "$WORK/demo-$sig/*.jsonl" 120; sleep 2
  t0=$(now_ms); kill -"$sig" "$P" 2>/dev/null; wait_exit "$P" 30; t1=$(now_ms)
  f=$(ls "$WORK/demo-$sig"/*.jsonl 2>/dev/null | head -1)
  stopdoc=$( [ -n "$f" ] && grep -o '\["stop",.*' "$f" | grep -oE '"exit_status":"[a-z]+"(,"reason":"[^"]{0,60})?' | head -1)
  row "labrig demo (wire sims), SIG$sig 2 s after its run started" "exit $RC after $((t1 - t0)) ms; JSONL $( [ -n "$f" ] && echo "$(wc -l <"$f") lines, $(wc -c <"$f") bytes, stop: ${stopdoc:-none}" || echo 'none')"
done

start_sim galil --tcp 127.0.0.1:0
G=$SIM_ADDR
lab estop "$G"
row "labrig estop \$G" "exit $RC: $(first "$OUT" 2)"
lab set "$G" abortAll 1
row "labrig set \$G abortAll 1 (path listed by read?)" "exit $RC: $(first "$OUT"); read lists abortAll: $(timeout 60 "${LABRIG[@]}" read "$G" 2>/dev/null | grep -c abortAll)"
printf 'stage:\n  uri: %s\n  enableOnConnect: true\n  axes: { A: {} }\n' "$G" >"$WORK/enable.yaml"
lab read --rig "$WORK/enable.yaml" stage A.motorOn
r1="$OUT"
lab read "$G" A.motorOn
row "labrig read --rig (enableOnConnect: true) stage A.motorOn, then read the motor" "read --rig: $(first "$r1"); motor afterwards: $(first "$OUT")"
servo_on "$G"
lab set --timeout-ms 300 "$G" A 1000000
row "labrig set --timeout-ms 300 \$G A 1000000 (false 'stop also failed' alarm?)" "exit $RC; 'also failed' in output: $(grep -c 'also failed' <<<"$OUT"); $(stack "$OUT"); $(first "$OUT")"
stop_pid "$SIM_PID"

# --- Data lost -------------------------------------------------------------------------------
"${LABRIG[@]}" demo --out "$WORK/demo-kill" --no-table >/dev/null 2>&1 &
P=$!; PIDS+=("$P")
wait_file "$WORK/demo-kill/*.jsonl" 120; sleep 2
kill -KILL "$P"; wait "$P" 2>/dev/null
f=$(ls "$WORK/demo-kill"/*.jsonl 2>/dev/null | head -1)
row "labrig demo, SIGKILL 2 s after its run started" "$( [ -n "$f" ] && echo "JSONL $(wc -c <"$f") bytes, $(grep -c '^\["event"' "$f") events, every line JSON: $(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").split("\n").filter(Boolean);let ok=0;for(const x of l){try{JSON.parse(x);ok++}catch{}}console.log(ok===l.length?"yes":"no ("+(l.length-ok)+" bad)")' "$f")" || echo 'no JSONL file')"
touch "$WORK/afile"
lab demo --out "$WORK/afile" --no-table
row "touch f; labrig demo --out f" "exit $RC; $(stack "$OUT"); $(first "$OUT" 3)"

# --- Wrong device ----------------------------------------------------------------------------
# A listener on a free port stands for "the wrong device": it counts connections.
node -e '
const net = require("net"); let n = 0;
const s = net.createServer((c) => { n++; require("fs").writeFileSync(process.argv[1], String(n)); c.destroy(); });
s.listen(0, "127.0.0.1", () => console.log(s.address().port));' "$WORK/accepts" >"$WORK/listener.out" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$WORK/listener.out" ] && break; sleep 0.1; done
LP=$(head -1 "$WORK/listener.out")
for uri in 'galil+tcp://127.0.0.1:70000' 'galil+tcp://127.0.0.1:abc' 'galil+tcp://127.0.0.1:0' 'galil+tcp://127.0.0.1:-1' 'galil+tcp://127.0.0.1:2e3' 'alicat+tcp://127.0.0.1:70000?unit=A' 'legato+tcp://127.0.0.1:70000' 'modbus+tcp://127.0.0.1:70000' 'opc.tcp://127.0.0.1:70000' "galil+tcp://127.0.0.1:$LP?colour=red"; do
  lab read "$uri"
  row "labrig read $uri" "exit $RC: $(first "$OUT")"
done
printf '{\n  "stage": "galil+tcp://127.0.0.1:%s",\n  "stage": "galil+tcp://127.0.0.1:%s?timeoutMs=500"\n}\n' "$LP" "$LP" >"$WORK/dup.json"
rm -f "$WORK/accepts"
lab read --rig "$WORK/dup.json" stage
row "rig JSON with key 'stage' twice: labrig read --rig dup.json stage" "exit $RC; connections made: $(cat "$WORK/accepts" 2>/dev/null || echo 0); $(first "$OUT")"
printf 'stage:\n  uri: galil+tcp://127.0.0.1:%s\n  axes: { A: { speed: 1e30 } }\n' "$LP" >"$WORK/speed.yaml"
rm -f "$WORK/accepts"
lab read --rig "$WORK/speed.yaml" stage
row "rig option speed: 1e30 (address: a listener counting connections)" "exit $RC; connections made: $(cat "$WORK/accepts" 2>/dev/null || echo 0); $(first "$OUT")"
printf 'stage:\n  uri: galil+tcp://127.0.0.1:%s\n  timeoutMs: 1e30\n' "$LP" >"$WORK/timeout.yaml"
rm -f "$WORK/accepts"
lab read --rig "$WORK/timeout.yaml" stage
row "rig option timeoutMs: 1e30" "exit $RC; connections made: $(cat "$WORK/accepts" 2>/dev/null || echo 0); $(first "$OUT")"

# --- Errors a user can act on ----------------------------------------------------------------
for arg in 127.0.0.1:99999 abc "127.0.0.1:$LP"; do
  lab sim galil --tcp "$arg"
  row "labrig sim galil --tcp $arg$( [ "$arg" = "127.0.0.1:$LP" ] && echo ' (port in use)')" "exit $RC; $(stack "$OUT"); $(first "$OUT")"
done
lab demo --soft --bogus
row "labrig demo --soft --bogus" "exit $RC; $(stack "$OUT"); $(first "$OUT")"
lab read
row "labrig read (no address)" "exit $RC; $(first "$OUT")"
help=''
for cmd in 'demo' 'read' 'set' 'sim' 'sim galil' 'estop'; do
  for h in --help -h; do
    # shellcheck disable=SC2086
    lab $cmd $h
    help="$help $cmd $h: $RC;"
  done
done
row "--help / -h exit codes" "$help"
start_sim modbus --tcp 127.0.0.1:0
lab read "$SIM_ADDR"
row "labrig read <address printed by labrig sim modbus>" "$SIM_ADDR: exit $RC; $(first "$OUT")"
stop_pid "$SIM_PID"
start_sim opcua
lab read "$SIM_ADDR"
row "labrig read <address printed by labrig sim opcua>" "$SIM_ADDR: exit $RC; $(first "$OUT")"
stop_pid "$SIM_PID"
# A "device" that answers every command with terminal control bytes.
node -e '
const net = require("net");
const s = net.createServer((c) => c.on("data", () => c.write("\x1b[2J\x1b[31mRED\x07?\r\n:")));
s.listen(0, "127.0.0.1", () => console.log(s.address().port));' >"$WORK/ctl.out" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$WORK/ctl.out" ] && break; sleep 0.1; done
lab read "galil+tcp://127.0.0.1:$(head -1 "$WORK/ctl.out")?timeoutMs=500"
row "device replying ESC/BEL bytes: labrig read" "exit $RC; raw ESC or BEL in output: $(printf '%s' "$OUT" | grep -c $'[\x1b\x07]'); $(first "$OUT" | cat -v)"
count_tmp() { ls -d /tmp/labrig-pty-* /tmp/labrig-opcua-sim-* 2>/dev/null | wc -l; }
b=$(count_tmp)
timeout 60 "${LABRIG[@]}" demo --out "$WORK/demo-head" 2>/dev/null | head -2 >/dev/null
"${LABRIG[@]}" demo --out "$WORK/demo-term" --no-table >/dev/null 2>&1 &
P=$!; PIDS+=("$P")
wait_file "$WORK/demo-term/*.jsonl" 120; sleep 1; kill -TERM "$P"; wait_exit "$P" 30
row "temp dirs /tmp/labrig-pty-*, /tmp/labrig-opcua-sim-* after 'demo / head -2' and a SIGTERMed demo" "before $b, after $(count_tmp) (other processes on the machine may add or remove some)"
