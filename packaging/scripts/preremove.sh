#!/bin/sh
# Before removal (not before an upgrade): stop the service.
set -e
case "$1" in
	remove|0) ;;   # dpkg remove / rpm erase
	*) exit 0 ;;
esac
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
	systemctl disable --now analyticsd.service || true
fi
exit 0
