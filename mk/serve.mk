# Decision service and Caddy module (issue 8). See docs/api.md.
#
#   make test-caddy   the Caddy module's tests: a real Caddy (Caddy's test
#                     harness) in front of a real upstream. plugins/caddy is
#                     its own module, so `go test ./...` does not reach it.
#   make check-caddy  gofmt, vet and a tidy go.mod for plugins/caddy
#   make load         the service under load (64 connections) against a
#                     real `tollgate serve` process; figures in
#                     docs/performance.md

TEST_TARGETS  += test-caddy
CHECK_TARGETS += check-caddy

LOAD_N ?= 20000

.PHONY: test-caddy check-caddy load

test-caddy:
	cd plugins/caddy && $(GO) test -count=1 ./...

check-caddy:
	@out=$$(gofmt -l plugins/caddy); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	cd plugins/caddy && $(GO) vet ./...
	@cd plugins/caddy && $(GO) mod tidy -diff || { echo "go mod tidy changes plugins/caddy/go.mod/go.sum (diff above)"; exit 1; }

# Starts the service on a free loopback port, loads it, stops it with
# SIGTERM. Its log goes to a temporary file of this run, shown on failure.
load: build
	@tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/tollgate-load.XXXXXX"); trap 'rm -rf "$$tmp"' EXIT; \
	for engine in native wasm; do \
	  port=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'); \
	  $(BIN)/tollgate serve --engine $$engine --policy cuc --listen 127.0.0.1:$$port --log json 2>"$$tmp/$$engine.log" & pid=$$!; \
	  sleep 1; echo "== engine $$engine"; \
	  $(GO) run ./cmd/internal/tgload -url http://127.0.0.1:$$port -pid $$pid -n $(LOAD_N); st=$$?; \
	  kill -TERM $$pid; wait $$pid; \
	  if [ $$st -ne 0 ]; then echo "== tollgate serve log ($$engine)"; tail -n 50 "$$tmp/$$engine.log"; exit $$st; fi; \
	done
