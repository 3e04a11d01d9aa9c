env \
    NODE_IP=192.168.1.226 \
    NODE_NAME=ty1 \
    REGISTRIES_CONFIGURED=false \
    bash -c "$(cat <<'K3SMC_SCRIPT_EOF'
#!/usr/bin/env bash
# Prepare a host for K3s and Kilo: hostname, IPv4 forwarding, WireGuard tools
# and the optional K3s registries.yaml. Safe to run again: every step checks
# the current state first and only changes what differs.
#
# Environment variables (all required):
#   NODE_NAME              hostname and K3s node name
#   NODE_IP                private IPv4 address that /etc/hosts maps NODE_NAME to
#   REGISTRIES_CONFIGURED  "true" or "false", whether to install registries.yaml
#                          from stdin ("false" removes one that this script wrote)
set -euo pipefail

: "${NODE_NAME:?NODE_NAME must name the node}"
: "${NODE_IP:?NODE_IP must be the node private IPv4 address}"
: "${REGISTRIES_CONFIGURED:?REGISTRIES_CONFIGURED must be true or false}"

readonly MANAGED_MARKER="# Managed by k3s-multicloud; local edits are overwritten."
readonly SYSCTL_FILE=/etc/sysctl.d/90-k3s-multicloud.conf
readonly CLOUD_CFG_FILE=/etc/cloud/cloud.cfg.d/90-k3s-multicloud.cfg
readonly REGISTRIES_FILE=/etc/rancher/k3s/registries.yaml

log() {
    printf '[prepare-host] %s\n' "$*"
}

systemd_running() {
    [ -d /run/systemd/system ]
}

same_content() {
    [ -f "$2" ] && cmp -s "$1" "$2"
}

# Move the temporary file NEW over TARGET unless both hold the same bytes.
# NEW sits in TARGET's directory, so the rename is atomic and readers never
# see a half-written file.
replace_file() {
    local new=$1 target=$2 mode=$3 message=$4
    if same_content "$new" "$target"; then
        rm -f "$new"
        return
    fi
    log "$message"
    chmod "$mode" "$new"
    mv -f "$new" "$target"
}

wait_for_cloud_init() {
    if ! command -v cloud-init >/dev/null 2>&1; then
        return
    fi
    log "Wait for cloud-init to finish"
    local status=0
    cloud-init status --wait >/dev/null || status=$?
    # cloud-init 23.4 and later exit with 2 when it finished with recoverable
    # errors; the host is still usable, so only warn.
    case $status in
        0) ;;
        2) log "cloud-init finished with recoverable errors; continuing" ;;
        *)
            log "ERROR: cloud-init status --wait failed with exit code $status; check /var/log/cloud-init.log"
            exit 1
            ;;
    esac
}

set_hostname() {
    if [ "$(hostname)" = "$NODE_NAME" ] && [ "$(cat /etc/hostname 2>/dev/null)" = "$NODE_NAME" ]; then
        log "Hostname is already $NODE_NAME"
    else
        log "Set hostname to $NODE_NAME"
        if systemd_running; then
            hostnamectl set-hostname "$NODE_NAME"
        else
            # Write in place: /etc/hostname is often a bind mount in containers,
            # where a rename over it fails.
            printf '%s\n' "$NODE_NAME" >/etc/hostname
            hostname "$NODE_NAME"
        fi
    fi

    # cloud-init's update_hostname module resets the hostname from instance
    # metadata on every boot unless preserve_hostname is set.
    if [ -d /etc/cloud/cloud.cfg.d ]; then
        local new
        new=$(mktemp "$CLOUD_CFG_FILE.XXXXXX")
        printf '%s\npreserve_hostname: true\n' "$MANAGED_MARKER" >"$new"
        replace_file "$new" "$CLOUD_CFG_FILE" 0644 "Tell cloud-init to keep the hostname"
    fi
}

update_etc_hosts() {
    local entry="$NODE_IP $NODE_NAME # k3s-multicloud"
    if grep -qxF "$entry" /etc/hosts; then
        return
    fi
    log "Map $NODE_NAME to $NODE_IP in /etc/hosts"
    local new
    new=$(mktemp)
    grep -v ' # k3s-multicloud$' /etc/hosts >"$new" || true
    printf '%s\n' "$entry" >>"$new"
    # Write in place for the same bind-mount reason as /etc/hostname.
    cat "$new" >/etc/hosts
    rm -f "$new"
}

enable_ip_forwarding() {
    mkdir -p /etc/sysctl.d
    local new
    new=$(mktemp "$SYSCTL_FILE.XXXXXX")
    printf '%s\nnet.ipv4.ip_forward = 1\n' "$MANAGED_MARKER" >"$new"
    replace_file "$new" "$SYSCTL_FILE" 0644 "Persist net.ipv4.ip_forward=1 in $SYSCTL_FILE"
    if [ "$(sysctl -n net.ipv4.ip_forward)" != 1 ]; then
        log "Enable IPv4 forwarding"
        sysctl -p "$SYSCTL_FILE" >/dev/null
    fi
}

install_wireguard_tools() {
    if command -v wg >/dev/null 2>&1; then
        return
    fi
    log "Install wireguard-tools"
    if command -v apt-get >/dev/null 2>&1; then
        # Wait for the dpkg lock instead of failing while unattended-upgrades runs.
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q wireguard-tools
    elif command -v dnf >/dev/null 2>&1; then
        dnf install -y wireguard-tools
    elif command -v yum >/dev/null 2>&1; then
        # NOTE: on EL7 wireguard-tools comes from EPEL, which this step does not enable.
        yum install -y wireguard-tools
    else
        log "ERROR: wg is missing and no apt-get, dnf or yum was found; install wireguard-tools by hand"
        exit 1
    fi
}

configure_registries() {
    if [ "$REGISTRIES_CONFIGURED" = true ]; then
        mkdir -p "$(dirname "$REGISTRIES_FILE")"
        local new
        new=$(mktemp "$REGISTRIES_FILE.XXXXXX")
        { printf '%s\n' "$MANAGED_MARKER"; cat; } >"$new"
        replace_file "$new" "$REGISTRIES_FILE" 0600 "Write registry mirrors to $REGISTRIES_FILE"
    elif [ -f "$REGISTRIES_FILE" ]; then
        # Only remove a file this script wrote; a hand-written one stays.
        if [ "$(head -n 1 "$REGISTRIES_FILE")" = "$MANAGED_MARKER" ]; then
            log "Remove $REGISTRIES_FILE because no registry mirrors are configured"
            rm -f "$REGISTRIES_FILE"
        fi
    fi
}

main() {
    umask 022
    wait_for_cloud_init
    set_hostname
    update_etc_hosts
    enable_ip_forwarding
    install_wireguard_tools
    configure_registries
    log "Host $NODE_NAME is prepared"
}

main "$@"
K3SMC_SCRIPT_EOF
)" prepare-host.sh
