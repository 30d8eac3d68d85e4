# Short entry points; the work is done by scripts in packaging/.
#   make build      static accessd and accessctl for this machine into bin/
#   make deb        .deb for amd64 and arm64 into dist/ (packaging/build.sh)
#   make deb-test   build and check the package, boot it in Debian 12 (root)
#   make ci-deps    install the Debian tools the package tests need (root)
#   make bench      every performance figure beside its peer, as one table
#                   (cmd/internal/bench; about 16 min on two cores; root for SNMP)
#   make bench-short  the short form CI runs: a few minutes, fails on a ratio
#                   below half its goal
VERSION ?=
GO ?= go

.PHONY: build deb deb-test ci-deps bench bench-short clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w$(if $(VERSION), -X main.version=$(VERSION))" -o bin/ ./cmd/accessd ./cmd/accessctl

deb:
	VERSION=$(VERSION) packaging/build.sh

deb-test:
	$(GO) test -count=1 -timeout 30m -v ./packaging/

ci-deps:
	packaging/ci-deps.sh

bench:
	$(GO) run ./cmd/internal/bench

bench-short:
	$(GO) run ./cmd/internal/bench -short

clean:
	rm -rf bin dist
