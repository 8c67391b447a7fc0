#!/usr/bin/env bash
# Builds the local images of the Docker end-to-end suite from Debian's busybox-static: no registry
# is needed (none can be reached in CI). Idempotent; rebuilds only images that are missing.
#   wharf-e2e/sandbox:1   holds a pod's network namespace: its default command sleeps forever
#   wharf-e2e/app:1, :2   an app image in two versions (for upgrades and rollbacks); /VERSION says which
set -euo pipefail

BUSYBOX=${BUSYBOX:-/bin/busybox}
APPLETS="sh sleep httpd nc cat echo ls env mkdir printf test grep head tail hostname kill ps true false"

build() { # build NAME:TAG CMD-JSON VERSION
  local tag=$1 cmd=$2 version=$3
  if docker image inspect "$tag" >/dev/null 2>&1; then return; fi
  local root
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc"
  cp "$BUSYBOX" "$root/bin/busybox"
  for applet in $APPLETS; do ln -s busybox "$root/bin/$applet"; done
  echo "$version" >"$root/VERSION"
  echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
  tar -C "$root" -c . | docker import -c "CMD $cmd" -c 'ENV PATH=/bin' - "$tag" >/dev/null
  rm -rf "$root"
  echo "built $tag"
}

build wharf-e2e/sandbox:1 '["/bin/sleep", "infinity"]' sandbox
build wharf-e2e/app:1 '["/bin/sh"]' 1
build wharf-e2e/app:2 '["/bin/sh"]' 2
