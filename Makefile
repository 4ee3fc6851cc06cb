# tollgate — one Makefile, one gate: `make check` and `make test`.
# Each area adds its own targets in mk/*.mk (wasm, js, integration, ...)
# and appends to TEST_DEPS / TEST_TARGETS / CHECK_TARGETS there.

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT   := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
GOBIN       ?= $(shell $(GO) env GOPATH)/bin
BIN         := bin
# VERSION is what `tollgate --version` names: git's description of the
# checkout (tag, or commit, and -dirty); `make build VERSION=v1.2.0` sets it.
VERSION     ?= $(shell git describe --tags --always --dirty --abbrev=12 2>/dev/null)

TEST_DEPS     :=          # installers (apt-get, npm ci) that tests need; mk/*.mk append

# A test that drives a tool TEST_DEPS installs (chromium, slappasswd,
# passlib, typescript, go itself from js/) fails under make when the tool
# is missing, rather than skipping: a plain `go test` or `node --test` on a
# developer's machine still skips it (internal/testenv, js/test/env.mjs).
export TOLLGATE_REQUIRE_TOOLS := 1
TEST_TARGETS  := test-go test-race  # mk/*.mk append their test targets
CHECK_TARGETS := check-go check-bench

include $(sort $(wildcard mk/*.mk))

.PHONY: all build test test-go test-race check check-go check-bench bench bench-peers tools clean

all: build

GO_BUILD_TOLLGATE = $(GO) build -trimpath -ldflags '-X main.version=$(VERSION)' -o $(BIN)/tollgate ./cmd/tollgate

build:
	$(GO_BUILD_TOLLGATE)

## test: everything the README promises; installs what it needs.
test: $(TEST_DEPS) $(TEST_TARGETS)

test-go:
	$(GO) test -count=1 ./...

## test-race: the concurrent parts again under the race detector (the engine
## hammer test, the service, the audit's workers, the CLI's serve tests).
RACE_PKGS := ./internal/engine/... ./server/... ./audit/... ./cmd/tollgate/
test-race:
	$(GO) test -race -count=1 $(RACE_PKGS)

## check: formatting, vet, staticcheck, tidy modules, cross-builds.
check: $(CHECK_TARGETS)

check-go: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...
	GOOS=wasip1 GOARCH=wasm $(GO) build ./core/... ./api/...
	@# -diff changes no file (no backup copies, nothing to collide with a
	@# concurrent run) and fails with the diff when go.mod/go.sum are untidy.
	@$(GO) mod tidy -diff || { echo "go mod tidy changes go.mod/go.sum (diff above)"; exit 1; }

## bench: benchmarks of the core (see docs/performance.md for figures).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./core/...

## bench-peers: the same PIN/password inputs through the Go peer libraries
## (nested module bench/, so the root module stays free of them).
bench-peers:
	cd bench && $(GO) test -run Detection -v . && $(GO) test -run '^$$' -bench . -benchtime=200ms -count=3 .

check-bench:
	cd bench && $(GO) vet ./... && $(GO) test -count=1 -run Detection .

tools:
	@test -x $(GOBIN)/staticcheck || $(GO) install $(STATICCHECK)
	@test -x $(GOBIN)/benchstat || $(GO) install $(BENCHSTAT)

clean:
	rm -rf $(BIN)
