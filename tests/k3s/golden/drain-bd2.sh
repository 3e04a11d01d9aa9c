env \
    DRAIN_TIMEOUT_SECONDS=300 \
    NODE_NAME=bd2 \
    bash -c "$(cat <<'K3SMC_SCRIPT_EOF'
#!/usr/bin/env bash
# Remove a node from the cluster, run on a K3s server: cordon it, evict its
# pods, then delete its Node object. Succeeds when the node is already gone.
#
# Environment:
#   NODE_NAME              the Kubernetes node name to remove
#   DRAIN_TIMEOUT_SECONDS  how long the drain may wait for evictions (default 300)
set -euo pipefail

: "${NODE_NAME:?NODE_NAME must name the node to drain}"
timeout_seconds=${DRAIN_TIMEOUT_SECONDS:-300}

log() {
    printf '[drain-node] %s\n' "$*"
}

# --ignore-not-found prints nothing for a missing node but still fails when the
# API server cannot be reached, so an outage is not mistaken for "gone".
existing=$(k3s kubectl get node "$NODE_NAME" --ignore-not-found --output=name)
if [ -z "$existing" ]; then
    log "Node $NODE_NAME is not in the cluster; nothing to drain"
    exit 0
fi

log "Cordon node $NODE_NAME"
k3s kubectl cordon "$NODE_NAME"

log "Drain node $NODE_NAME (timeout ${timeout_seconds}s)"
if ! k3s kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data \
    --timeout="${timeout_seconds}s"; then
    printf '[drain-node] ERROR: drain of node %s did not finish within %ss.\n' "$NODE_NAME" "$timeout_seconds" >&2
    printf '[drain-node] A PodDisruptionBudget or a pod without a controller may block it; see the kubectl output above, fix it, and run pulumi up again.\n' >&2
    exit 1
fi

log "Delete node $NODE_NAME"
k3s kubectl delete node "$NODE_NAME" --ignore-not-found
K3SMC_SCRIPT_EOF
)" drain-node.sh
