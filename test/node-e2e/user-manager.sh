#!/bin/bash
# Runs real systemd (a user service manager, not PID 1) on the units in $1/systemd/user, starts the
# units given after $2 in one transaction, as at boot, waits until the command in $WAIT_UNTIL
# succeeds (at most 20 s), and prints what systemctl said of the start and the units' states. Needs root: it mounts a tmpfs
# over /run in a private mount namespace (run it under `unshare -m`), because systemd --user
# refuses to start unless /run/systemd/system exists; nothing outside the namespace changes.
# /bin/sleep: the node's /usr/local/bin may hold the test's stand-in sleep, which returns at once.
set -euo pipefail
config=$1 state=$2
shift 2
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system
export XDG_CONFIG_HOME=$config XDG_RUNTIME_DIR=$state/run
mkdir -m 0700 "$XDG_RUNTIME_DIR"
/lib/systemd/systemd --user >"$state/manager.log" 2>&1 &
manager=$!
trap 'kill "$manager" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [[ -S $XDG_RUNTIME_DIR/systemd/private ]] && break
  /bin/sleep 0.1
done
if systemctl --user --no-pager start "$@"; then
  echo "start: done"
else
  echo "start: failed"
fi
for _ in $(seq 200); do
  bash -c "$WAIT_UNTIL" && break
  /bin/sleep 0.1
done
systemctl --user --no-pager show -p Id -p ActiveState -p SubState -p Result "$@"
