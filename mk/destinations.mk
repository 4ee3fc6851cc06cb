# Destination data (issue 18): tools/destgen compiles libphonenumber's
# metadata (github.com/nyaruka/phonenumbers, pinned in its go.mod) into
# data/destinations.bin and docs/destinations.md. It is a nested module, so
# the root module never depends on phonenumbers; `go generate ./data` runs
# it. Its tests fail when the committed files are stale, and compare the
# artifact with phonenumbers on 645 000 numbers.

TEST_TARGETS  += test-destgen
CHECK_TARGETS += check-destgen

.PHONY: destinations test-destgen check-destgen

destinations:
	$(GO) generate ./data

test-destgen:
	cd tools/destgen && $(GO) test -count=1 ./...

check-destgen:
	cd tools/destgen && $(GO) vet ./... && $(GO) mod tidy -diff
