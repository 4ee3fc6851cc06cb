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
	@cd plugins/caddy && cp go.mod /tmp/tollgate-caddy.go.mod.bak && cp go.sum /tmp/tollgate-caddy.go.sum.bak && \
	$(GO) mod tidy && \
	if ! diff -q go.mod /tmp/tollgate-caddy.go.mod.bak >/dev/null || ! diff -q go.sum /tmp/tollgate-caddy.go.sum.bak >/dev/null; then \
	  cp /tmp/tollgate-caddy.go.mod.bak go.mod; cp /tmp/tollgate-caddy.go.sum.bak go.sum; echo "go mod tidy changes plugins/caddy/go.mod"; exit 1; fi

# Starts the service on a free loopback port, loads it, stops it with SIGTERM.
load: build
	@for engine in native wasm; do \
	  port=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'); \
	  $(BIN)/tollgate serve --engine $$engine --policy cuc --listen 127.0.0.1:$$port --log json 2>/tmp/tollgate-load-$$engine.log & pid=$$!; \
	  sleep 1; echo "== engine $$engine"; \
	  $(GO) run ./internal/server/loadtest/tgload -url http://127.0.0.1:$$port -pid $$pid -n $(LOAD_N); st=$$?; \
	  kill -TERM $$pid; wait $$pid; [ $$st -eq 0 ] || exit $$st; \
	done
