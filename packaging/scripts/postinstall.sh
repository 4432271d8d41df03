#!/bin/sh
# After install or upgrade: what systemd cannot do by itself at package
# time. The system user and the data directory come from the package's
# sysusers.d and tmpfiles.d files (systemd would apply them only at the
# next boot); then systemd reads the new unit, and an upgrade restarts a
# running service on the new binary. $DPKG_ROOT is set when dpkg installs
# into another root (dpkg --root with --force-script-chrootless).
set -e
systemd-sysusers ${DPKG_ROOT:+--root="$DPKG_ROOT"} analyticsd.conf
systemd-tmpfiles ${DPKG_ROOT:+--root="$DPKG_ROOT"} --create analyticsd.conf
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl try-restart analyticsd.service
fi
exit 0
