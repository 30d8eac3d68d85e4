// Package packaging holds no code: it is where the accessd .deb is made and
// tested. The files beside this one are the product's installable form:
//
//   - build.sh: static binaries for amd64 and arm64, man pages rendered from
//     docs/man, changelog.Debian.gz, then the .deb with nfpm (nfpm.yaml),
//     reproducibly (SOURCE_DATE_EPOCH, explicit modes);
//   - scripts/: maintainer scripts in the debhelper pattern;
//   - completion/accessctl: bash completion; copyright, changelog,
//     accessd.default (/etc/default/accessd), lintian-overrides;
//   - tools/: a module of its own pinning nfpm and go-md2man;
//   - nspawn/: the check that runs inside a booted Debian 12;
//   - ci-deps.sh: the Debian packages the tests need.
//
// The tests build the package and check it: its file list against
// testdata/contents.golden, lintian, systemd-analyze verify and security,
// two builds giving the same bytes, the man pages, completion and copyright
// against the binaries, and the whole life of the package (install, socket
// activation, admin socket permissions, watchdog, upgrade, purge) in a
// debootstrapped Debian 12 booted with systemd-nspawn. What needs root or
// missing tools skips, unless ACCESSD_REQUIRE_INTEGRATION=1; go test -short
// skips the package build and the booted system (TestDeb, minutes).
package packaging
