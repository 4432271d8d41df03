#!/bin/sh
# After removal. A remove keeps the data directory and the configuration;
# a purge (dpkg --purge) also deletes the data directory, the stored
# entries with it: back it up first (analyticsd backup). The analytics user
# stays, as Debian's policy has it (files elsewhere may still be its).
set -e
root="${DPKG_ROOT:-}"
if [ "$1" = purge ]; then
	rm -rf "$root/var/lib/analyticsd"
fi
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
exit 0
