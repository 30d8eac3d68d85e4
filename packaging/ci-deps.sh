#!/usr/bin/env bash
# Installs what packaging's tests need on a Debian 12 machine (root), for CI
# (.ci/run calls it) and for a developer running `go test ./packaging/`:
#   systemd            systemd-analyze verify/security
#   systemd-container  systemd-nspawn, to boot the test system
#   debootstrap        to build that Debian 12 system (from Debian's mirror)
#   lintian            the package's lint
#   xz-utils           dpkg-deb reads the xz-compressed data.tar
#   bash-completion    to run accessctl's completion as bash does
# nfpm and go-md2man need nothing here: packaging/tools pins them and
# `go build` fetches them through the module proxy.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -q --no-install-recommends \
	systemd systemd-container debootstrap debian-archive-keyring \
	lintian xz-utils bash-completion procps git ca-certificates
