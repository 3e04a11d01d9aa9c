sudo -n env \
    INSTALL_K3S_EXEC=agent \
    INSTALL_K3S_MIRROR=cn \
    INSTALL_K3S_VERSION=v1.35.6+k3s1 \
    INSTALL_SCRIPT_SHA256=0000000000000000000000000000000000000000000000000000000000000001 \
    INSTALL_SCRIPT_URL=https://rancher-mirror.rancher.cn/k3s/k3s-install.sh \
    K3S_URL=https://203.0.113.10:6443 \
    REGISTRIES_SHA256=none \
    bash -c "$(cat <<'K3SMC_SCRIPT_EOF'
#!/usr/bin/env bash
# Install or reconfigure K3s on this host.
#
# stdin: the node's /etc/rancher/k3s/config.yaml. It contains the cluster
# token, so it goes only to a root-only file and is never printed.
#
# Environment:
#   INSTALL_K3S_VERSION    pinned K3s release, e.g. v1.35.6+k3s1
#   INSTALL_K3S_EXEC       "server" or "agent"
#   INSTALL_K3S_MIRROR     optional; "cn" downloads K3s from the China mirror
#   K3S_URL                agents only: https://<server>:6443
#   INSTALL_SCRIPT_URL     where to download the K3s install script
#   INSTALL_SCRIPT_SHA256  optional; expected sha256 of the install script
#   REGISTRIES_SHA256      sha256 of the registries.yaml the host should have,
#                          or "none"; only here so that a mirror change
#                          re-runs this step and restarts K3s
#
# The installer persists every K3S_* variable in the service environment file,
# so this script's own settings avoid that prefix.
set -euo pipefail

: "${INSTALL_K3S_VERSION:?INSTALL_K3S_VERSION must name the K3s release}"
: "${INSTALL_K3S_EXEC:?INSTALL_K3S_EXEC must be server or agent}"
: "${INSTALL_SCRIPT_URL:?INSTALL_SCRIPT_URL must point to the K3s install script}"

readonly CONFIG_DIR=/etc/rancher/k3s
readonly CONFIG_FILE=$CONFIG_DIR/config.yaml
readonly REGISTRIES_FILE=$CONFIG_DIR/registries.yaml
# sha256 of config.yaml and registries.yaml as K3s last started with them.
readonly APPLIED_FILE=$CONFIG_DIR/k3s-multicloud-applied.sha256

case $INSTALL_K3S_EXEC in
    server) service=k3s ;;
    agent)
        service=k3s-agent
        : "${K3S_URL:?K3S_URL must point to a server for an agent}"
        ;;
    *)
        printf '[install-k3s] ERROR: INSTALL_K3S_EXEC is %s; expected server or agent\n' "$INSTALL_K3S_EXEC" >&2
        exit 1
        ;;
esac

log() {
    printf '[install-k3s] %s\n' "$*"
}

fail() {
    printf '[install-k3s] ERROR: %s\n' "$*" >&2
    exit 1
}

# Write stdin to config.yaml: created 0600 under umask 077 in the same
# directory, then renamed, so no other user can read the token at any point.
write_config() {
    mkdir -p "$CONFIG_DIR"
    local new previous_umask
    previous_umask=$(umask)
    umask 077
    new=$(mktemp "$CONFIG_FILE.XXXXXX")
    cat >"$new"
    umask "$previous_umask"
    if [ ! -s "$new" ]; then
        rm -f "$new"
        fail "config.yaml on stdin is empty"
    fi
    chmod 0600 "$new"
    if [ -f "$CONFIG_FILE" ] && cmp -s "$new" "$CONFIG_FILE"; then
        rm -f "$new"
    else
        log "Write $CONFIG_FILE"
        mv -f "$new" "$CONFIG_FILE"
    fi
}

applied_state() {
    if [ -f "$REGISTRIES_FILE" ]; then
        cat "$CONFIG_FILE" "$REGISTRIES_FILE" | sha256sum | cut -d' ' -f1
    else
        sha256sum <"$CONFIG_FILE" | cut -d' ' -f1
    fi
}

record_applied_state() {
    (umask 077 && applied_state >"$APPLIED_FILE")
}

installed_version() {
    local k3s_path
    k3s_path=$(command -v k3s 2>/dev/null) || return 0
    # The first line reads "k3s version v1.35.6+k3s1 (<commit>)".
    "$k3s_path" --version 2>/dev/null | awk 'NR == 1 { print $3 }'
}

# True when this K3s version runs here in the requested role. The installer
# writes <service>-uninstall.sh next to the binary for each role it installs.
installed_as_requested() {
    local k3s_path
    k3s_path=$(command -v k3s 2>/dev/null) || return 1
    [ "$(installed_version)" = "$INSTALL_K3S_VERSION" ] &&
        [ -x "$(dirname "$k3s_path")/$service-uninstall.sh" ]
}

# Download the install script, check its sha256 when one is configured, and
# run it. Extra environment (NAME=value words) goes to the installer only.
run_installer() {
    local workdir
    workdir=$(mktemp -d)
    # shellcheck disable=SC2064 # expand workdir now; it is local to this function
    trap "rm -rf '$workdir'" EXIT

    log "Download the K3s install script from $INSTALL_SCRIPT_URL"
    curl --fail --silent --show-error --location \
        --connect-timeout 15 --max-time 300 \
        --retry 5 --retry-delay 5 --retry-connrefused \
        --output "$workdir/install.sh" "$INSTALL_SCRIPT_URL"

    if [ -n "${INSTALL_SCRIPT_SHA256:-}" ]; then
        local actual
        actual=$(sha256sum <"$workdir/install.sh" | cut -d' ' -f1)
        if [ "$actual" != "$INSTALL_SCRIPT_SHA256" ]; then
            fail "sha256 of $INSTALL_SCRIPT_URL is $actual, expected $INSTALL_SCRIPT_SHA256; check the URL or set k3s.installScriptSha256 to the hash of the script you trust"
        fi
        log "Install script sha256 matches $INSTALL_SCRIPT_SHA256"
    fi

    log "Run the K3s installer: $INSTALL_K3S_EXEC $INSTALL_K3S_VERSION"
    env -u INSTALL_SCRIPT_URL -u INSTALL_SCRIPT_SHA256 -u REGISTRIES_SHA256 \
        "$@" sh "$workdir/install.sh"
}

restart_k3s() {
    if [ -d /run/systemd/system ]; then
        log "Restart $service to apply the new configuration"
        systemctl restart "$service"
    elif [ -x /sbin/openrc-run ]; then
        log "Restart $service to apply the new configuration"
        rc-service "$service" restart
    else
        # Neither systemd nor OpenRC runs here, so let the installer start K3s
        # its own way on this host, without downloading the binary again.
        run_installer INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_FORCE_RESTART=true
    fi
}

main() {
    write_config

    if installed_as_requested; then
        if [ "$(applied_state)" = "$(cat "$APPLIED_FILE" 2>/dev/null)" ]; then
            log "K3s $INSTALL_K3S_VERSION $INSTALL_K3S_EXEC is installed with this configuration"
            return
        fi
        restart_k3s
    else
        # Force the restart: the installer skips it when only config.yaml changed.
        run_installer INSTALL_K3S_FORCE_RESTART=true
    fi
    record_applied_state
    log "K3s $INSTALL_K3S_VERSION $INSTALL_K3S_EXEC is installed"
}

main "$@"
K3SMC_SCRIPT_EOF
)" install-k3s.sh
