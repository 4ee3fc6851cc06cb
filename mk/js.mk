# Browsers and Node (issue 7): the ES module in js/, its Node tests
# (node:test, parity with the Go corpus) and its browser tests (playwright-core
# driving Debian's chromium headless). See docs/js.md.
#
#   make test-js    Node and browser tests (after js-deps)
#   make js-deps    npm packages from js/package-lock.json, and chromium
#   make demo       serves js/demo/ and wasm/tollgate.wasm on localhost
#   make bench-js   size, instantiate time and per-call cost (Node and Go)

NODE      ?= node
NPM       ?= npm
CHROMIUM  ?= /usr/bin/chromium
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8087

TEST_DEPS    += js-deps
TEST_TARGETS += test-js

# apt-get as root, through sudo otherwise.
APT := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: js-deps test-js demo bench-js

## js-deps: install what test-js needs, only when it is missing or stale.
js-deps:
	@command -v $(NODE) >/dev/null || { $(APT) update -qq && $(APT) install -y -qq nodejs npm; }
	@$(NODE) -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || \
	  { echo "js-deps: node >= 20 is needed (have $$($(NODE) --version))"; exit 1; }
	@if [ ! -f js/node_modules/.package-lock.json ] || [ js/package-lock.json -nt js/node_modules/.package-lock.json ]; then \
	  echo "js-deps: npm ci"; cd js && $(NPM) ci --no-audit --no-fund --loglevel=error; fi
	@test -x $(CHROMIUM) || { echo "js-deps: installing chromium"; $(APT) update -qq && $(APT) install -y -qq chromium; }

## test-js: node:test suites in js/test (unit, corpus parity, types, browser).
test-js:
	cd js && TOLLGATE_CHROMIUM=$(CHROMIUM) TOLLGATE_REQUIRE_BROWSER=1 $(NODE) --test --test-reporter=spec test/*.test.mjs

## bench-js: module size over the wire, instantiate time and per-call cost
## in Node, next to the same calls from Go (docs/performance.md). Chromium's
## figures come from the browser test (out/browser-timings.json).
bench-js:
	$(NODE) js/bench/bench.mjs
	$(GO) test -run '^$$' -bench 'Call|DialScalar|DialRegex' -benchtime=200ms -count=3 ./js/internal/jsgen

## demo: the demo page on http://$(DEMO_HOST):$(DEMO_PORT)/demo/ (Ctrl-C stops it).
demo:
	$(NODE) js/demo/serve.mjs --host $(DEMO_HOST) --port $(DEMO_PORT)
