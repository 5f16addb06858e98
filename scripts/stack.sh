#!/usr/bin/env bash
# `make stack`: Prometheus and Alertmanager on loopback, wired to a running
# `reportflow up` (127.0.0.1:8000: requestor, runner, notifier and scale hook)
# and, when one runs apart, `reportflow notifier` (127.0.0.1:9095).
# Runs in the foreground; Ctrl-C stops both. Data and rendered configs live in
# $REPORTFLOW_HOME/stack (default .reportflow/stack). See docs/operations.md.
set -euo pipefail
cd "$(dirname "$0")/.."

HOME_DIR="${REPORTFLOW_HOME:-.reportflow}"
STACK="$HOME_DIR/stack"
SECRETS="$(realpath -m "$HOME_DIR/secrets")"
PROM_PORT="${PROM_PORT:-9090}"
AM_PORT="${AM_PORT:-9093}"

bash scripts/system-deps.sh prometheus prometheus-alertmanager
PROMETHEUS="$(command -v prometheus || true)"
ALERTMANAGER="$(command -v prometheus-alertmanager || command -v alertmanager || true)"
if [ -z "$PROMETHEUS" ] || [ -z "$ALERTMANAGER" ]; then
  echo "stack: prometheus and prometheus-alertmanager are not installed" >&2
  exit 1
fi

mkdir -p "$STACK/prometheus" "$STACK/alertmanager"
mkdir -p -m 700 "$SECRETS"
# The hooks' bearer tokens: made once, shared with the notifier
# (auth.bearer_token_file) and the runner (REPORTFLOW_RUNNER__SCALE_TOKEN_FILE).
for name in alertmanager_token scale_token; do
  if [ ! -s "$SECRETS/$name" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$SECRETS/$name")
  fi
done
# The shipped config reads tokens from /etc/reportflow; point it at ours.
sed "s#/etc/reportflow/#$SECRETS/#g" deploy/alertmanager/alertmanager.yml \
  > "$STACK/alertmanager/alertmanager.yml"

promtool check config deploy/prometheus/prometheus.yml >/dev/null
amtool check-config "$STACK/alertmanager/alertmanager.yml" >/dev/null

if ! (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; then
  echo "stack: nothing answers on 127.0.0.1:8000 yet; start it with 'make up'" >&2
fi

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

"$ALERTMANAGER" \
  --config.file="$STACK/alertmanager/alertmanager.yml" \
  --storage.path="$STACK/alertmanager/data" \
  --web.listen-address="127.0.0.1:$AM_PORT" \
  --cluster.listen-address= \
  --log.level=warn &
pids+=($!)

"$PROMETHEUS" \
  --config.file=deploy/prometheus/prometheus.yml \
  --storage.tsdb.path="$STACK/prometheus/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" \
  --web.enable-lifecycle \
  --log.level=warn &
pids+=($!)

echo "Prometheus   http://127.0.0.1:$PROM_PORT  (rules: deploy/prometheus/rules, reload: curl -X POST .../-/reload)"
echo "Alertmanager http://127.0.0.1:$AM_PORT"
echo "tokens       $SECRETS/alertmanager_token (notifier), $SECRETS/scale_token (runner)"
echo "Ctrl-C stops both."
wait -n "${pids[@]}"
