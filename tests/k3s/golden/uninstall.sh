env \
    bash -c "$(cat <<'K3SMC_SCRIPT_EOF'
#!/usr/bin/env bash
# Uninstall K3s from this host with the uninstall script the K3s installer
# left next to the binary. Succeeds when K3s is not installed.
set -euo pipefail

log() {
    printf '[uninstall-k3s] %s\n' "$*"
}

# The installer puts its scripts in /usr/local/bin, or in /opt/bin when
# /usr/local/bin is read-only.
found=false
for dir in /usr/local/bin /opt/bin; do
    for script in k3s-uninstall.sh k3s-agent-uninstall.sh; do
        if [ -x "$dir/$script" ]; then
            log "Run $dir/$script"
            "$dir/$script"
            found=true
        fi
    done
done

if [ "$found" = false ]; then
    log "K3s is not installed; nothing to uninstall"
fi

# The uninstall scripts delete /etc/rancher/k3s. When the install never
# finished there is no uninstall script, so remove the token-bearing config here.
rm -f /etc/rancher/k3s/config.yaml
K3SMC_SCRIPT_EOF
)" uninstall-k3s.sh
