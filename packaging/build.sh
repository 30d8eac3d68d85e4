#!/usr/bin/env bash
# Builds the accessd .deb for each architecture: static binaries, rendered
# man pages, the Debian changelog, then nfpm (pinned in packaging/tools).
#
#   packaging/build.sh                   # amd64 and arm64 into dist/
#   ARCHES=amd64 OUT=/tmp/x packaging/build.sh
#
# Environment (all optional):
#   ARCHES             architectures (Debian names = GOARCH), default "amd64 arm64"
#   VERSION            package and binary version, UPSTREAM-REVISION; default:
#                      the top version of packaging/changelog with
#                      +git<commit time>.<commit> after its upstream part
#   SOURCE_DATE_EPOCH  mtime of every packaged file; default: the last commit
#   OUT                output directory, default dist/
#   CONFIG_SRC         the conffile to ship, default packaging/accessd.yaml
#   KEEP               non-empty: keep the staging directory OUT/.build.* (debugging)
#
# Reproducible: the same commit, toolchain and environment give .debs with the
# same sha256 (no build paths, no VCS stamp, fixed mtimes and modes, gzip -n).
# Prints one line per package: its path.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

ARCHES=${ARCHES:-amd64 arm64}
OUT=${OUT:-$repo/dist}
CONFIG_SRC=${CONFIG_SRC:-$here/accessd.yaml}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null) || {
		echo "build.sh: not a git checkout: set SOURCE_DATE_EPOCH" >&2
		exit 1
	}
fi
export SOURCE_DATE_EPOCH

top_version=$(sed -n '1s/^accessd (\([^)]*\)).*/\1/p' "$here/changelog")
if [[ -z $top_version ]]; then
	echo "build.sh: packaging/changelog line 1: want 'accessd (VERSION) ...'" >&2
	exit 1
fi
if [[ -z ${VERSION:-} ]]; then
	# A snapshot after the newest release: UPSTREAM+gitTIME.COMMIT-REVISION.
	VERSION="${top_version%-*}+git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S).$(git rev-parse --short=12 HEAD)-${top_version##*-}"
fi
# A Debian revision (-N) is required: the package is not native, its
# changelog is changelog.Debian.gz.
if [[ ! $VERSION =~ ^[0-9][A-Za-z0-9.+~]*-[A-Za-z0-9.+~]+$ ]]; then
	echo "build.sh: VERSION $VERSION is not a Debian version UPSTREAM-REVISION" >&2
	exit 1
fi
if [[ ! -f $CONFIG_SRC ]]; then
	echo "build.sh: $CONFIG_SRC missing: the reference config is shipped as /etc/accessd/accessd.yaml" >&2
	exit 1
fi

export TZ=UTC LC_ALL=C
umask 022
tmp=$(mktemp -d "$OUT/.build.XXXXXX")
trap '[[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT

# The tools, pinned in their own module, for this machine whatever GOOS and
# GOARCH say.
env -u GOOS -u GOARCH go -C "$here/tools" build -trimpath -o "$tmp/bin/" \
	github.com/goreleaser/nfpm/v2/cmd/nfpm github.com/cpuguy83/go-md2man/v2

common=$tmp/common
mkdir -p "$common"

# Man pages: the version and the date of the commit go into .TH.
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
for page in accessd accessctl; do
	sed -e "s/@VERSION@/$VERSION/g" -e "s/@DATE@/$date/g" "$repo/docs/man/$page.8.md" >"$tmp/$page.8.md"
	"$tmp/bin/go-md2man" -in "$tmp/$page.8.md" -out "$common/$page.8"
	gzip -9n "$common/$page.8"
done

# changelog.Debian.gz: packaging/changelog, with an entry for this build on
# top when VERSION is not its newest release.
{
	if [[ $VERSION != "$top_version" ]]; then
		printf 'accessd (%s) unstable; urgency=medium\n\n' "$VERSION"
		printf '  * Build %s of the source.\n\n' "$VERSION"
		printf ' -- accessd developers <dev@accessd.invalid>  %s\n\n' "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
	fi
	cat "$here/changelog"
} | gzip -9n >"$common/changelog.Debian.gz"

cp "$repo/systemd/accessd.service" "$repo/systemd/accessd.socket" "$repo/systemd/accessd-dhcp4.socket" \
	"$repo/systemd/accessd.sysusers" "$common/"
cp "$CONFIG_SRC" "$common/accessd.yaml"
cp "$here/accessd.default" "$here/copyright" "$here/lintian-overrides" "$common/"
cp "$here/completion/accessctl" "$common/accessctl.bash"
cp "$here/scripts/postinst" "$here/scripts/prerm" "$here/scripts/postrm" "$common/"
mkdir -p "$common/monitoring"
cp "$here/monitoring/README.md" "$here/monitoring/accessd-alerts.yml" "$here/monitoring/accessd-alerts.test.yml" \
	"$here/monitoring/accessd-dashboard.json" "$here/monitoring/metrics.txt" "$common/monitoring/"

for arch in $ARCHES; do
	stage=$tmp/$arch
	cp -a "$common" "$stage"
	for cmd in accessd accessctl; do
		CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -buildvcs=false \
			-ldflags "-s -w -X main.version=$VERSION" -o "$stage/$cmd" "./cmd/$cmd"
	done
	deb=$OUT/accessd_${VERSION}_$arch.deb
	# ACCESSD_ARCH, not GOARCH: GOARCH would cross-build nfpm itself.
	(cd "$stage" && ACCESSD_ARCH=$arch ACCESSD_VERSION=$VERSION \
		"$tmp/bin/nfpm" package --config "$here/nfpm.yaml" --packager deb --target "$deb" >&2)
	echo "$deb"
done
