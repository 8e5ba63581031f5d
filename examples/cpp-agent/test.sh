#!/usr/bin/env bash
# CTest (label examples): runs the example against a real `tracery serve` and checks the run.
# Usage: test.sh TRACERY_BIN WORK_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"; work="$2"
rm -rf "$work"; mkdir -p "$work"
"$bin" serve --data-dir "$work/data" --http 127.0.0.1:0 --grpc off 2>"$work/server.log" >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
addr=""
for _ in $(seq 1 300); do
  addr="$(sed -n 's/.*tracery serving http=\([0-9.]*:[0-9]*\).*/\1/p' "$work/server.log" | head -1)"
  [ -n "$addr" ] && break
  kill -0 $pid 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "server did not start"; cat "$work/server.log"; exit 1; }
out="$(BUILD_DIR="$work/build" "$here/run.sh" "http://$addr")"
echo "$out"
run_id="$(echo "$out" | sed -n 's/^run_id=//p')"
python3 - "http://$addr" "$run_id" <<'PY'
import json, sys, time, urllib.request
base, run_id = sys.argv[1], sys.argv[2]
deadline = time.time() + 15
while True:
    try:
        d = json.load(urllib.request.urlopen(base + "/api/runs/" + run_id, timeout=5))
        if len(d["steps"]) >= 8 and d["run"]["status"] not in ("", "running"):
            break
    except Exception as e:  # 404 until ingested
        d = None
    if time.time() > deadline:
        sys.exit("run %s never arrived complete: %s" % (run_id, d))
    time.sleep(0.1)
r = d["run"]
steps = [(s["type"], s["name"]) for s in d["steps"]]
want = [("agent", "refund-request"), ("plan", "classify_request"), ("llm", "chat fake-gpt"),
        ("tool", "billing_api"), ("tool", "billing_api"), ("retrieval", "policy_search"),
        ("llm", "chat fake-gpt"), ("respond", "send_reply")]
assert steps == want, steps
assert (r["agent_id"], r["agent_version"], r["environment"]) == ("cpp-support-agent", "1.0.0", "development"), r
assert r["status"] == "failed", r["status"]
assert (r["failure"]["type"], r["failure"]["code"]) == ("retrieval", "no_results"), r["failure"]
assert r["retry_count"] == 1, r["retry_count"]
tools = [s for s in d["steps"] if s["type"] == "tool"]
assert tools[1]["retry_of"] == tools[0]["step_id"], tools
assert r["tokens"]["input"] == 602 and r["tokens"]["output"] == 45, r["tokens"]
print("example run ok:", run_id, r["status"], r["failure"]["code"])
PY
