#!/usr/bin/env bash
# Gateway throughput, side by side: authenticated POST /v1/decide with a
# minted runtime token, `wrk -t2 -c64 -d8s`, rounds alternating between two
# `palisade` release binaries (an old build from a `git worktree`, and this
# one). Prints requests/s per round and the audit bytes per request.
#
#   benches/gateway_wrk.sh OLD_BINARY NEW_BINARY [ROUNDS]
set -euo pipefail
old=${1:?old palisade binary}
new=${2:?new palisade binary}
rounds=${3:-5}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
token=bench-operator-secret-0123456789-abcdefgh
cat > "$work/policy.pal" <<'EOF'
agent main { default sandbox off tools { allow read } }
gateway { auth token }
EOF

# Bytes of audit in a state directory: the live file and its segments.
audit_bytes() {
  cat "$1"/audit.jsonl* | wc -c
}

# One round: start the gateway, mint a runtime credential, run wrk, stop it.
round() {
  local binary=$1 label=$2 dir="$work/$2-$3"
  mkdir -p "$dir"
  PALISADE_GATEWAY_TOKEN=$token "$binary" gateway --policy "$work/policy.pal" --listen 127.0.0.1:0 \
    --state-dir "$dir/state" > "$dir/out" 2> "$dir/err" &
  local pid=$!
  for _ in $(seq 1 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.05; done
  local url
  url=$(sed -n 's/.*listening on //p' "$dir/out" | head -1)
  local runtime
  runtime=$(curl -s -H "Authorization: Bearer $token" "$url/v1/credentials" \
    -d '{"role":"runtime","agents":["main"]}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  local before
  before=$(audit_bytes "$dir/state")
  cat > "$dir/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"kind":"tool","agent":"main","tool":"read"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $runtime"
EOF
  wrk -t2 -c64 -d8s -s "$dir/post.lua" "$url/v1/decide" > "$dir/wrk"
  sleep 0.3
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local rps requests after
  rps=$(awk '/Requests\/sec/ {print $2}' "$dir/wrk")
  requests=$(awk '/requests in/ {print $1}' "$dir/wrk")
  after=$(audit_bytes "$dir/state")
  local non2xx
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$dir/wrk")
  echo "$label round $3: $rps requests/s, $(( (after - before) / requests )) audit bytes/request${non2xx:+, non-2xx $non2xx}"
}

for i in $(seq 1 "$rounds"); do
  round "$old" old "$i"
  round "$new" new "$i"
done
