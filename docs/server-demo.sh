#!/usr/bin/env bash
# Produces the transcripts of docs/server-demo.md: `bash docs/server-demo.sh [permissions|offline]`.
# Everything runs on 127.0.0.1 in a fresh temporary directory; tokens are shortened in the output.
set -u
WORK=$(mktemp -d /tmp/autolog-demo-XXXX)
PORT=${PORT:-5077}
export AUTOLOG_TRACKING_URI=http://127.0.0.1:$PORT AUTOLOG_SPOOL_DIR=$WORK/spool
export OPENBLAS_NUM_THREADS=1 PYTHONWARNINGS=default
cd "$WORK"
shorten() { sed -E 's/(alt_[A-Za-z0-9_-]{6})[A-Za-z0-9_-]+/\1.../g'; }
show() { echo "\$ $*"; eval "$@" 2>&1 | shorten; }

cat > train.py <<'PY'
import sys
import autolog
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

autolog.set_experiment(sys.argv[1])
autolog.autolog()
X, y = make_classification(200, 5, random_state=0)
LogisticRegression(C=float(sys.argv[2]) if len(sys.argv) > 2 else 1.0).fit(X, y)
run = autolog.last_active_run()
print(f"fit done; run {run.info.run_id} logged to {sys.argv[1]}" if run else "fit done; no run recorded")
PY

start_server() {
  autolog server --backend-store-uri "$WORK/server-store" --port "$PORT" "$@" > server.log 2>&1 &
  SERVER=$!
  until curl -sf "http://127.0.0.1:$PORT/api/v1/health" > /dev/null; do sleep 0.3; done
}
stop_server() { kill "$SERVER"; wait "$SERVER" 2>/dev/null; }

permissions() {
  show autolog server token create --user admin --admin --backend-store-uri "$WORK/server-store"
  ALICE=$(autolog server token create --user alice --backend-store-uri "$WORK/server-store")
  BOB=$(autolog server token create --user bob --backend-store-uri "$WORK/server-store")
  echo "\$ autolog server token create --user alice ...   # and --user bob: two more tokens"
  start_server --default-permission READ
  show cat server.log
  echo "# alice creates experiment A (she gets MANAGE on it), bob creates B"
  show AUTOLOG_TRACKING_TOKEN=\$ALICE python train.py A
  show AUTOLOG_TRACKING_TOKEN=\$BOB python train.py B
  echo "# the default permission is READ: alice reads B, and cannot write to it"
  show AUTOLOG_TRACKING_TOKEN=\$ALICE autolog runs list --experiment B
  show AUTOLOG_TRACKING_TOKEN=\$ALICE python train.py B 0.5
  BOB_RUN=$(AUTOLOG_TRACKING_TOKEN=$BOB autolog runs list --experiment B --json | python -c 'import json, sys; print(json.load(sys.stdin)[0]["run_id"])')
  show AUTOLOG_TRACKING_TOKEN=\$ALICE autolog runs tag \$BOB_RUN reviewed=yes
  echo "# without a token, or with a wrong one: 401"
  show autolog runs list --experiment A
  show AUTOLOG_TRACKING_TOKEN=alt_not-a-token autolog runs list --experiment A
  echo "# on the server's machine: alice may now write B (experiment id 2)"
  show autolog server permission set --user alice --experiment 2 --level EDIT --backend-store-uri \$WORK/server-store
  show AUTOLOG_TRACKING_TOKEN=\$ALICE python train.py B 0.5
  show AUTOLOG_TRACKING_TOKEN=\$BOB autolog runs list --experiment B
  stop_server
}

counts() {
  python - "$WORK/server-store" <<'PY'
import sys
from autolog.store import open_store
store = open_store(sys.argv[1])
runs = [r for e in store.search_experiments() for r in store.search_runs([e.experiment_id], max_results=1000)]
values = sum(len(store.get_metric_history(r.info.run_id, k)) for r in runs for k in r.data.metrics)
files = sum(len(store.artifacts(r.info.run_id).list_files()) for r in runs)
print(f"server store: {len(runs)} runs, {values} metric values, {files} artifact files")
store.close()
PY
}

offline() {
  cat > loop.py <<'PY'
import autolog
autolog.set_experiment("offline-demo")
with autolog.start_run(run_name="on-the-train") as run:
    autolog.log_param("lr", 0.1)
    for step in range(500):
        autolog.log_metric("loss", 1.0 / (step + 1), step=step)
print("run", run.info.run_id, "finished")
PY
  start_server
  show python train.py offline-demo
  stop_server
  echo "# the server is down now"
  show counts
  show AUTOLOG_HTTP_RETRY_SECONDS=2 python loop.py
  show AUTOLOG_HTTP_RETRY_SECONDS=2 python train.py offline-demo 0.3 "| tail -1"
  show autolog sync --dry-run
  echo "# the server is back"
  start_server
  show autolog sync --dry-run
  show autolog sync
  show autolog sync
  show autolog runs list --experiment offline-demo
  stop_server
  show counts
}

"${1:-permissions}"
rm -rf "$WORK"
