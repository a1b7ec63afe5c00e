#!/usr/bin/env bash
# Same-run benchmark comparison of this checkout against another commit (a refactor's "not
# worse"): the other commit is checked out under $TMPDIR/dash-live-against/<commit> with its own bundle,
# then each tree serves the same benchmarks in turn, alternating.
#
#   scripts/bench_against.sh 9d931a5            # S4 (three dash-live set-ups), S1, S2
#   ROUNDS=3 scripts/bench_against.sh 9d931a5   # more alternations
set -euo pipefail
commit=${1:?usage: scripts/bench_against.sh <commit>}
here=$(cd "$(dirname "$0")/.." && pwd)
py=$here/.venv-bench/bin/python
other=${TMPDIR:-/tmp}/dash-live-against/$commit
test -x "$py" || make -C "$here" .venv-bench/.installed
if [ ! -d "$other" ]; then
  git -C "$here" worktree add -f "$other" "$commit" >/dev/null
  (cd "$other" && npm ci --silent && PATH="$here/.venv/bin:$PATH" npm run build >/dev/null)
fi
for round in $(seq 1 "${ROUNDS:-1}"); do
  for tree in "$other" "$here"; do
    echo "=== $tree, round $round"
    cd "$tree"
    PYTHONPATH=$tree "$py" benchmarks/bench_capacity.py --clients 250 1000 --runs 2 \
      --only "SSE, FastAPI backend, uvicorn" "SSE, gunicorn gevent" "Socket.IO, gunicorn gevent"
    PYTHONPATH=$tree "$py" benchmarks/bench_stream.py --runs 5 --only dash-live
    PYTHONPATH=$tree "$py" benchmarks/bench_latency.py --runs 5 --only dash-live
  done
done
