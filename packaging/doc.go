// Package packaging holds what turns analyticsd into an installable
// service, and its tests: the nfpm configuration (nfpm.yaml) that
// .ci/package runs, the systemd unit, the sysusers.d and tmpfiles.d
// entries, the production configuration and the maintainer scripts.
//
// The tests check the unit's hardening (systemd-analyze security) and, with
// packages built by .ci/package (ANALYTICS_TEST_PACKAGES), install,
// upgrade, back up, restore, remove and purge the .deb in a throwaway root,
// running each command as docs/operating.md gives it.
package packaging
