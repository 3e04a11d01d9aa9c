env \
    NODE_NAME=bd2 \
    WAIT_TIMEOUT_SECONDS=900 \
    bash -c "$(cat <<'K3SMC_SCRIPT_EOF'
#!/usr/bin/env bash
# Wait on a K3s server until the Node object NODE_NAME exists, which shows
# that the node's K3s joined the cluster. The node may stay NotReady until
# Kilo installs the CNI, so only existence is checked.
#
# Environment:
#   NODE_NAME             the Kubernetes node name to wait for
#   WAIT_TIMEOUT_SECONDS  give up after this many seconds (default 600)
#   WAIT_POLL_SECONDS     pause between two checks (default 5)
set -euo pipefail

: "${NODE_NAME:?NODE_NAME must name the node to wait for}"
timeout_seconds=${WAIT_TIMEOUT_SECONDS:-600}
poll_seconds=${WAIT_POLL_SECONDS:-5}

log() {
    printf '[wait-for-node] %s\n' "$*"
}

log "Wait up to ${timeout_seconds}s for node $NODE_NAME to register"
deadline=$((SECONDS + timeout_seconds))
last_error=""
while true; do
    if output=$(k3s kubectl get node "$NODE_NAME" --output=name 2>&1); then
        log "Node $NODE_NAME is registered"
        exit 0
    fi
    last_error=$output
    if [ "$SECONDS" -ge "$deadline" ]; then
        break
    fi
    sleep "$poll_seconds"
done

printf '[wait-for-node] ERROR: node %s did not register within %ss. Last error: %s\n' \
    "$NODE_NAME" "$timeout_seconds" "$last_error" >&2
printf '[wait-for-node] Check the K3s service log on %s (journalctl -u k3s or -u k3s-agent) and that it reaches port 6443 of this server.\n' \
    "$NODE_NAME" >&2
exit 1
K3SMC_SCRIPT_EOF
)" wait-for-node.sh
