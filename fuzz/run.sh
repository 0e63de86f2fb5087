#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS (default 60), seeded
# from tests/corpus/ and examples/. Crashes land in fuzz/artifacts/<target>/
# and make the script exit non-zero; turn each into a regression test.
#   fuzz/run.sh              # 60 s per target
#   fuzz/run.sh 900 dsl      # 15 minutes of one target
# Stable toolchain: cargo-fuzz needs RUSTC_BOOTSTRAP=1 and --sanitizer none.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(dsl dsl_structured openclaw_json decide_request gateway_bodies device_connect pairing workspace_paths differential mention handles shell shell_roundtrip shell_oracle paths)
fi
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# Seeds: every policy and request the test corpus and the examples hold.
mkdir -p corpus/dsl corpus/openclaw_json corpus/decide_request corpus/gateway_bodies
for f in ../tests/corpus/*/policy.pal ../tests/malformed/*.pal ../examples/*.pal; do
  cp "$f" "corpus/dsl/$(echo "$f" | tr '/.' '__')"
done
for f in ../tests/corpus/*/policy.json ../tests/malformed/*.json ../examples/*.json; do
  [ -e "$f" ] && cp "$f" "corpus/openclaw_json/$(echo "$f" | tr '/.' '__')"
done
n=0
for f in ../tests/corpus/*/cases.jsonl; do
  while IFS= read -r line; do
    n=$((n + 1))
    # A case is a request plus its expectation: keep the request.
    request=$(printf '%s' "$line" | sed -e 's/,"expect":.*}$/}/' -e '/"kind"/!s/^{/{"kind":"tool",/')
    printf '%s' "$request" > "corpus/decide_request/case$n"
    cp "corpus/decide_request/case$n" "corpus/gateway_bodies/case$n"
  done < "$f"
done

# Commands: every `args.command` of the corpus, for both shell targets
# (JSON escapes left in: a seed need only be close).
mkdir -p corpus/shell corpus/shell_roundtrip
n=0
for f in ../tests/corpus/*/cases.jsonl; do
  while IFS= read -r command; do
    n=$((n + 1))
    printf '%s' "$command" > "corpus/shell/command$n"
    cp "corpus/shell/command$n" "corpus/shell_roundtrip/command$n"
  done < <(grep -o '"command": "\([^"\\]\|\\.\)*"' "$f" | sed -e 's/^"command": "//' -e 's/"$//')
done

cargo fuzz build --sanitizer none
status=0
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  echo "== $target: ${seconds}s"
  if ! cargo fuzz run --sanitizer none "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 2>&1 | tail -15; then
    status=1
  fi
  if [ -n "$(ls -A "artifacts/$target" 2>/dev/null)" ]; then
    echo "!! $target: crashes in fuzz/artifacts/$target"
    status=1
  fi
done
exit $status
