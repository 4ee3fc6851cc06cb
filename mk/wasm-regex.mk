# The regex module, wasm/regex.wasm: regexp2 alone in a small wasip1
# reactor, which the JS package loads on demand to answer the main module's
# regex imports (docs/js.md, docs/abi.md). `make wasm-regex` rebuilds it byte
# for byte; `make wasm-regex-check` fails when the committed artifact is
# stale. The flags mirror internal/abi.RegexModBuildArgs (a Go test in
# wasm/regex rebuilds with those and compares) and need internal/abi.BuildGo
# (WASM_ENV, from mk/wasm.mk, names it through GOTOOLCHAIN).

WASM_REGEX_OUT   := wasm/regex.wasm
WASM_REGEX_BUILD := build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o

CHECK_TARGETS += wasm-regex-check

.PHONY: wasm-regex wasm-regex-check wasm-regex-size

wasm-regex:
	$(WASM_ENV) $(GO) $(WASM_REGEX_BUILD) $(WASM_REGEX_OUT) ./wasm/regex

wasm-regex-check:
	$(WASM_ENV) $(GO) vet ./wasm/regex
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(WASM_ENV) $(GO) $(WASM_REGEX_BUILD) $$tmp/regex.wasm ./wasm/regex && \
	if cmp -s $$tmp/regex.wasm $(WASM_REGEX_OUT); then echo "$(WASM_REGEX_OUT) is up to date"; \
	else echo "$(WASM_REGEX_OUT) is stale: run 'make wasm-regex' and commit it"; exit 1; fi

## wasm-regex-size: raw and gzip -9 sizes of the regex module.
wasm-regex-size:
	@printf 'raw    %8d\n' $$(wc -c < $(WASM_REGEX_OUT))
	@printf 'gzip   %8d\n' $$(gzip -9c $(WASM_REGEX_OUT) | wc -c)
