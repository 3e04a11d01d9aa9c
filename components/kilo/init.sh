#!/bin/sh
# Write the kubeconfig that kg, the Kilo agent, uses to reach the Kubernetes API.
#
# kg must reach the API server before the WireGuard mesh exists, so it cannot
# use the in-cluster Service IP. It uses the API address from the K3s agent's
# kubelet.kubeconfig instead (on agents the local K3s load balancer), and the
# K3s server CA. The cluster entry is named and the context refers to it by
# that name. Without that, client-go finds no cluster and silently falls back
# to the in-cluster config.
#
# The Kilo DaemonSet runs this in its generate-kubeconfig init container. The
# kg container mounts the K3s agent directory read-only as well, because the
# kubeconfig refers to the CA file by path. Running it again rewrites the file
# with the same content.
#
# Environment (the defaults are the paths inside the Kilo pod):
#   NAMESPACE            namespace of the context (required)
#   K3S_AGENT_DIR        K3s agent directory, default /var/lib/rancher/k3s/agent
#   KILO_TOKEN_FILE      service account token, default
#                        /var/run/secrets/kubernetes.io/serviceaccount/token
#   KILO_KUBECONFIG      file to write, default /etc/kubernetes/kubeconfig

set -eu
# The Kilo image is Alpine, whose busybox sh supports pipefail. Debian's dash
# does not, so the option is enabled only where the shell has it.
# shellcheck disable=SC3040
if (set -o pipefail) 2>/dev/null; then set -o pipefail; fi

fail() {
    printf 'generate-kubeconfig: %s\n' "$*" >&2
    exit 1
}

# Reject characters that would need escaping inside a double-quoted YAML value.
check_yaml_value() {
    case "$2" in
        '' | *[\"\\\'[:space:][:cntrl:]]*)
            fail "invalid $1 '$2': it is empty or contains quotes, backslashes or whitespace" ;;
    esac
}

agent_dir=${K3S_AGENT_DIR:-/var/lib/rancher/k3s/agent}
token_file=${KILO_TOKEN_FILE:-/var/run/secrets/kubernetes.io/serviceaccount/token}
kubeconfig=${KILO_KUBECONFIG:-/etc/kubernetes/kubeconfig}
namespace=${NAMESPACE:-}
kubelet_kubeconfig=$agent_dir/kubelet.kubeconfig
server_ca=$agent_dir/server-ca.crt

[ -n "$namespace" ] || fail "NAMESPACE is missing: set it from the pod's metadata.namespace"
[ -r "$kubelet_kubeconfig" ] || fail "$kubelet_kubeconfig not found: start K3s on this node first"
[ -r "$server_ca" ] || fail "$server_ca not found: start K3s on this node first"
[ -r "$token_file" ] || fail "$token_file not found: the pod needs a mounted service account token"

# K3s writes kubelet.kubeconfig with a single cluster, so the first server
# line is the API address the kubelet itself uses.
server=$(sed -n '/^[[:space:]]*server:/{
s/^[[:space:]]*server:[[:space:]]*//
s/[[:space:]]*$//
p
q
}' "$kubelet_kubeconfig")
case "$server" in
    https://?*) ;;
    *) fail "no https server URL found in $kubelet_kubeconfig (found '$server')" ;;
esac
check_yaml_value "server URL" "$server"
check_yaml_value "CA path" "$server_ca"
check_yaml_value "token path" "$token_file"
check_yaml_value "namespace" "$namespace"

# The kubeconfig names the token file instead of copying the token. kubelet
# rotates the projected token and client-go rereads tokenFile periodically,
# so kg keeps working after the token it started with expires.
tmp=$kubeconfig.tmp
umask 077
cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kilo
  cluster:
    server: "$server"
    certificate-authority: "$server_ca"
users:
- name: kilo
  user:
    tokenFile: "$token_file"
contexts:
- name: kilo
  context:
    cluster: kilo
    user: kilo
    namespace: "$namespace"
current-context: kilo
EOF
mv -f "$tmp" "$kubeconfig"
printf 'generate-kubeconfig: wrote %s for API server %s\n' "$kubeconfig" "$server"
