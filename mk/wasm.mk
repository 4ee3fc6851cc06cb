# The WebAssembly module (issue 5). `make wasm` rebuilds wasm/tollgate.wasm
# byte for byte from the source; `make wasm-check` fails when the committed
# artifact is stale. The flags mirror internal/abi.BuildArgs (a Go test
# checks that they agree) and need the toolchain internal/abi.BuildGo, which
# go.mod's toolchain line names: GOTOOLCHAIN makes the go command run exactly
# it (fetching it when the local Go is another). The tag tollgate_hostregex
# leaves regexp2 out: the host runs regular expressions. The tag
# tollgate_small optimises for code size: the credential hashes are
# internal/digest's, which do not link the FIPS 140 module.

BUILD_GO   := $(shell sed -n 's/^toolchain //p' go.mod)
WASM_OUT   := wasm/tollgate.wasm
WASM_ENV   := GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOTOOLCHAIN=$(BUILD_GO)
WASM_BUILD := build -buildmode=c-shared -trimpath -buildvcs=false -tags=tollgate_hostregex,tollgate_small -ldflags='-s -w -buildid=' -o

# wasm/tollgate-audit.wasm is the same module with the audit's operations
# (the tag tollgate_audit; docs/abi.md, "Audit"): they cost about 0.15 MB
# gzip, more than wasm/tollgate.wasm's budget leaves, so the hosts that
# audit (the browser's audit view, the wasm audit) load this one instead.
WASM_AUDIT_OUT   := wasm/tollgate-audit.wasm
WASM_AUDIT_BUILD := build -buildmode=c-shared -trimpath -buildvcs=false -tags=tollgate_hostregex,tollgate_small,tollgate_audit -ldflags='-s -w -buildid=' -o

CHECK_TARGETS += wasm-check

.PHONY: wasm wasm-check wasm-size wasm-audit-size

wasm:
	$(WASM_ENV) $(GO) $(WASM_BUILD) $(WASM_OUT) ./wasm
	$(WASM_ENV) $(GO) $(WASM_AUDIT_BUILD) $(WASM_AUDIT_OUT) ./wasm

wasm-check:
	$(WASM_ENV) $(GO) vet -tags=tollgate_hostregex,tollgate_small ./wasm ./core/... ./api/...
	$(WASM_ENV) $(GO) vet -tags=tollgate_hostregex,tollgate_small,tollgate_audit ./wasm ./internal/auditcore
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(WASM_ENV) $(GO) $(WASM_BUILD) $$tmp/tollgate.wasm ./wasm && \
	if cmp -s $$tmp/tollgate.wasm $(WASM_OUT); then echo "$(WASM_OUT) is up to date"; \
	else echo "$(WASM_OUT) is stale: run 'make wasm' and commit it"; exit 1; fi && \
	$(WASM_ENV) $(GO) $(WASM_AUDIT_BUILD) $$tmp/tollgate-audit.wasm ./wasm && \
	if cmp -s $$tmp/tollgate-audit.wasm $(WASM_AUDIT_OUT); then echo "$(WASM_AUDIT_OUT) is up to date"; \
	else echo "$(WASM_AUDIT_OUT) is stale: run 'make wasm' and commit it"; exit 1; fi

# The module's build takes its hash functions, and core/artifact's checksum,
# from internal/digest (the tag tollgate_small). test-small runs core
# and api with that selection natively; test-wasip1 runs the small code's
# packages compiled to wasip1, in wazero's command-line runtime built from
# the module cache (go test runs go_wasip1_wasm_exec from PATH). Neither
# uses tollgate_hostregex: without a host, regex rows have no engine. The
# interop tests start slappasswd and python3, which wasip1 cannot.
TEST_TARGETS += test-small test-wasip1
WASIP1_PKGS := ./internal/digest ./core/credential ./core/artifact ./internal/jsonx

.PHONY: test-small test-wasip1

test-small:
	$(GO) test -count=1 -tags=tollgate_small ./core/... ./api/...

test-wasip1:
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(GO) build -o $$tmp/wazero github.com/tetratelabs/wazero/cmd/wazero && \
	printf '#!/bin/sh\nw="$$1"; shift\nexec %s run -mount /:/ -env-inherit -cachedir %s "$$w" "$$@"\n' \
	  "$$tmp/wazero" "$$tmp/cache" > $$tmp/go_wasip1_wasm_exec && chmod +x $$tmp/go_wasip1_wasm_exec && \
	PATH=$$tmp:$$PATH GOOS=wasip1 GOARCH=wasm $(GO) test -count=1 -tags=tollgate_small \
	  -skip 'Interop|RecordLayout' $(WASIP1_PKGS)

## wasm-size: raw, gzip -9 and brotli sizes of the artifact (budget: 1.0 MB gzip).
wasm-size:
	@printf 'raw    %8d\n' $$(wc -c < $(WASM_OUT))
	@printf 'gzip   %8d\n' $$(gzip -9c $(WASM_OUT) | wc -c)
	@if command -v brotli >/dev/null; then printf 'brotli %8d\n' $$(brotli -c -q 11 $(WASM_OUT) | wc -c); fi

## wasm-audit-size: the same for wasm/tollgate-audit.wasm.
wasm-audit-size:
	@printf 'raw    %8d\n' $$(wc -c < $(WASM_AUDIT_OUT))
	@printf 'gzip   %8d\n' $$(gzip -9c $(WASM_AUDIT_OUT) | wc -c)

# The data artifacts (docs/abi.md, "Data artifacts"): wasm/passwords.tgd is
# generated from a pinned corpus (internal/datagen; npm fetches it once into
# the user cache), wasm/destinations.tgd from libphonenumber's metadata
# (tools/destgen, mk/destinations.mk). internal/datagen's
# TestPasswordsArtifactFresh and tools/destgen's TestArtifactUpToDate fail
# when a committed file is stale.
.PHONY: data
## data: rebuild wasm/passwords.tgd and wasm/destinations.tgd (go generate)
data:
	$(GO) generate .
