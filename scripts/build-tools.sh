#!/usr/bin/env bash
# Build the Pulumi CLI, the command and kubernetes provider plugins, and the
# Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kubectl) that the
# end-to-end tests run, into a cache outside git:
#
#   ~/.cache/k3s-multicloud/tools/<version-key>/bin
#
# K3SMC_TOOLS_CACHE replaces ~/.cache/k3s-multicloud in that path.
# The version key is made from the pinned versions below and the wrapper
# modules under tools/, so a changed pin builds into a new directory and an
# unchanged one reuses the cache. Every build runs with CGO_ENABLED=0, one
# after another, with `-p 2`, and logs to <cache>/logs/<target>.log.
#
# Usage:
#   scripts/build-tools.sh [TARGET...]   build what is missing (default: all)
#   scripts/build-tools.sh --bin-dir     print the bin directory and exit
#   scripts/build-tools.sh --check       exit 0 only when every binary is built
#
# Targets: pulumi, command, kubernetes, kube (etcd, kube-apiserver, kubectl,
# kube-controller-manager).
#
# The Go module proxy does not serve github.com/pulumi/pulumi-command at any
# version (it returns 403 "This module version is not available"), so the
# command provider builds from a source tree of pulumi/pulumi-command at the
# v1.2.1 release commit. Point PULUMI_COMMAND_SRC at a git clone of that
# repository once; the script extracts the release commit into the cache
# and later runs reuse it.
set -euo pipefail

PULUMI_VERSION=v3.276.0
COMMAND_VERSION=v1.2.1
COMMAND_COMMIT=7f3eb6f3b77cd0fa3895ba437a695dd393f7dd25
KUBERNETES_PROVIDER_VERSION=4.25.0
KUBE_VERSION=v1.37.2
# Bump when the build commands change in a way the pins above do not show.
RECIPE_REVISION=1

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_DIR=$REPO_ROOT/tools
CACHE_ROOT=${K3SMC_TOOLS_CACHE:-$HOME/.cache/k3s-multicloud}

export CGO_ENABLED=0
# Pins live in go.mod files, so no build may rewrite them.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"

version_key() {
  local digest
  digest=$(
    {
      echo "$PULUMI_VERSION $COMMAND_VERSION $COMMAND_COMMIT"
      echo "$KUBERNETES_PROVIDER_VERSION $KUBE_VERSION $RECIPE_REVISION"
      cat "$TOOLS_DIR"/pulumi/go.mod "$TOOLS_DIR"/pulumi/go.sum
      cat "$TOOLS_DIR"/k8sprovider/go.mod "$TOOLS_DIR"/k8sprovider/go.sum
      cat "$TOOLS_DIR"/k8sprovider/cmd/pulumi-resource-kubernetes/main.go
      cat "$TOOLS_DIR"/kube/go.mod "$TOOLS_DIR"/kube/go.sum
    } | sha256sum | cut -c1-10
  )
  echo "pulumi-${PULUMI_VERSION}_command-${COMMAND_VERSION}_k8s-${KUBERNETES_PROVIDER_VERSION}_kube-${KUBE_VERSION}_${digest}"
}

KEY=$(version_key)
CACHE=$CACHE_ROOT/tools/$KEY
BIN=$CACHE/bin
LOGS=$CACHE/logs

# Binaries each target produces; --check and the skip test use this table.
declare -A TARGET_BINARIES=(
  [pulumi]="pulumi"
  [command]="pulumi-resource-command"
  [kubernetes]="pulumi-resource-kubernetes"
  [kube]="etcd kube-apiserver kubectl kube-controller-manager"
)
ALL_TARGETS=(pulumi command kubernetes kube)

target_built() {
  local binary
  for binary in ${TARGET_BINARIES[$1]}; do
    [[ -x $BIN/$binary ]] || return 1
  done
}

log() {
  printf '[build-tools] %s\n' "$*" >&2
}

# Run one build step with its output in the target's log; on failure show
# the log's tail so the caller sees the compiler error.
run_logged() {
  local target=$1
  shift
  local logfile=$LOGS/$target.log
  local started=$SECONDS
  local status
  log "Build $target (log: $logfile)"
  # errexit is ignored inside a condition, so run the step in a subshell
  # outside one and read its status afterwards.
  set +e
  (
    set -e
    "$@"
  ) >>"$logfile" 2>&1
  status=$?
  set -e
  if ((status != 0)); then
    log "FAILED: $target after $((SECONDS - started)) s; last lines of $logfile:"
    tail -n 30 "$logfile" >&2
    return 1
  fi
  log "Built $target in $((SECONDS - started)) s"
}

build_pulumi() {
  cd "$TOOLS_DIR/pulumi"
  go build -p 2 -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$BIN/pulumi.tmp" "$BIN/pulumi"
}

command_source() {
  local dest=$CACHE_ROOT/src/pulumi-command-$COMMAND_COMMIT
  if [[ -f $dest/provider/go.mod ]]; then
    echo "$dest"
    return
  fi
  if [[ -z ${PULUMI_COMMAND_SRC:-} ]]; then
    log "Missing source of pulumi-command $COMMAND_VERSION: the Go module proxy does not serve it."
    log "Set PULUMI_COMMAND_SRC to a git clone of github.com/pulumi/pulumi-command and run again."
    return 1
  fi
  mkdir -p "$dest.tmp"
  git -C "$PULUMI_COMMAND_SRC" archive "$COMMAND_COMMIT" provider | tar -x -C "$dest.tmp"
  mv "$dest.tmp" "$dest"
  echo "$dest"
}

build_command() {
  local src
  src=$(command_source)
  cd "$src/provider"
  go build -p 2 -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$COMMAND_VERSION" \
    -o "$BIN/pulumi-resource-command.tmp" ./cmd/pulumi-resource-command
  mv "$BIN/pulumi-resource-command.tmp" "$BIN/pulumi-resource-command"
}

# Write the gitignored embed files of the kubernetes provider's main package
# from the schema and mapping that the module zip does contain.
write_kubernetes_embeds() {
  local module_dir main_dir=$TOOLS_DIR/k8sprovider/cmd/pulumi-resource-kubernetes
  module_dir=$(cd "$TOOLS_DIR/k8sprovider" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)
  python3 - "$module_dir/cmd/pulumi-resource-kubernetes" "$main_dir" "$KUBERNETES_PROVIDER_VERSION" <<'PY'
import json
import sys

source, target, version = sys.argv[1:]
with open(f"{source}/schema.json", encoding="utf-8") as f:
    schema = json.load(f)
schema["version"] = version
with open(f"{target}/schema-embed.json", "w", encoding="utf-8") as f:
    json.dump(schema, f, separators=(",", ":"))
with open(f"{source}/terraform-mapping.json", encoding="utf-8") as f:
    mapping = json.load(f)
with open(f"{target}/terraform-mapping-embed.json", "w", encoding="utf-8") as f:
    json.dump(mapping, f, separators=(",", ":"))
PY
}

build_kubernetes() {
  write_kubernetes_embeds
  cd "$TOOLS_DIR/k8sprovider"
  go build -p 2 -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" \
    -o "$BIN/pulumi-resource-kubernetes.tmp" ./cmd/pulumi-resource-kubernetes
  mv "$BIN/pulumi-resource-kubernetes.tmp" "$BIN/pulumi-resource-kubernetes"
}

build_kube() {
  local minor=${KUBE_VERSION#v1.}
  minor=${minor%%.*}
  local version_flags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
  version_flags+=" -X k8s.io/component-base/version.gitMajor=1"
  version_flags+=" -X k8s.io/component-base/version.gitMinor=$minor"
  version_flags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  version_flags+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
  cd "$TOOLS_DIR/kube"
  go build -p 2 -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$BIN/etcd.tmp" "$BIN/etcd"
  go build -p 2 -trimpath -ldflags "-s -w $version_flags" \
    -o "$BIN/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
  go build -p 2 -trimpath -ldflags "-s -w $version_flags" \
    -o "$BIN/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl
  mv "$BIN/kubectl.tmp" "$BIN/kubectl"
  # Only its garbage collector and namespace controller run in the tests:
  # pulumi-kubernetes deletes with foreground propagation, which waits for
  # the garbage collector to remove the object.
  go build -p 2 -trimpath -ldflags "-s -w $version_flags" \
    -o "$BIN/kube-controller-manager.tmp" k8s.io/kubernetes/cmd/kube-controller-manager
  mv "$BIN/kube-controller-manager.tmp" "$BIN/kube-controller-manager"
}

main() {
  case ${1:-} in
    --bin-dir)
      echo "$BIN"
      return 0
      ;;
    --check)
      local target missing=0
      for target in "${ALL_TARGETS[@]}"; do
        if ! target_built "$target"; then
          log "missing: $target (${TARGET_BINARIES[$target]}) in $BIN"
          missing=1
        fi
      done
      return "$missing"
      ;;
  esac

  local targets=("$@")
  if ((${#targets[@]} == 0)); then
    targets=("${ALL_TARGETS[@]}")
  fi

  mkdir -p "$BIN" "$LOGS"
  # The end-to-end harness compares these with the Python SDK versions.
  printf 'pulumi=%s\ncommand=%s\nkubernetes=%s\nkube=%s\n' "${PULUMI_VERSION#v}" \
    "${COMMAND_VERSION#v}" "$KUBERNETES_PROVIDER_VERSION" "${KUBE_VERSION#v}" >"$CACHE/versions.txt"
  local target status failed=()
  for target in "${targets[@]}"; do
    if [[ -z ${TARGET_BINARIES[$target]:-} ]]; then
      log "unknown target '$target'; known targets: ${ALL_TARGETS[*]}"
      return 2
    fi
    if target_built "$target"; then
      log "Reuse $target from $BIN"
      continue
    fi
    # Not inside a condition, because bash would then ignore errexit in the
    # build step as well.
    set +e
    run_logged "$target" "build_$target"
    status=$?
    set -e
    if ((status != 0)); then
      failed+=("$target")
    fi
  done

  if ((${#failed[@]} > 0)); then
    log "Targets that failed: ${failed[*]}"
    return 1
  fi
  log "All requested tools are in $BIN"
}

main "$@"
