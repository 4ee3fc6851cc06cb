# Destination data (issue 18): tools/destgen compiles libphonenumber's
# metadata (github.com/nyaruka/phonenumbers, pinned in its go.mod) into
# wasm/destinations.tgd (the "destinations" data artifact) and
# docs/destinations.md. It is a nested module, so the root module never
# depends on phonenumbers; `go generate` at the root (module.go) runs it. Its tests fail when the committed files are stale, and compare the
# artifact with phonenumbers on 645 000 numbers.

TEST_TARGETS  += test-destgen
CHECK_TARGETS += check-destgen

.PHONY: destinations test-destgen check-destgen

destinations:
	cd tools/destgen && $(GO) run . -out ../../wasm/destinations.tgd -doc ../../docs/destinations.md

test-destgen:
	cd tools/destgen && $(GO) test -count=1 ./...

check-destgen:
	cd tools/destgen && $(GO) vet ./... && $(GO) mod tidy -diff
