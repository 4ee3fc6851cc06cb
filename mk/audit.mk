# Bulk CSV audit and PIN generation (issue 6). See docs/audit.md.
#
#   make run-sample     the README's main command: audit the bundled sample
#   make audit-sample   regenerate testdata/csv/sample-users.csv from its generator
#   make bench-audit    rows/s per engine against the encoding/csv floor on a
#                       1,000,000-row file, and peak RSS at 1 M and 10 M rows
#                       (files generated under /tmp, never committed; the wasm
#                       runs take about 5 min at 1 M rows and 20 min at 10 M)
#   make bench-guest    the audit's guest-compute ratio under wazero, Node and
#                       Chromium, and the boundary's share on each (about 10 min)

AUDIT_TMP    ?= /tmp/tollgate-audit
AUDIT_SAMPLE := testdata/csv/sample-users.csv
# The sample's four classes of service linked to the built-in tables
# (docs/audit.md, "The sample and the benchmark files").
AUDIT_SAMPLE_TABLES := testdata/tables/sample.json

.PHONY: run-sample audit-sample bench-audit bench-guest

# Exit status 1 means "findings", which is what the sample is for. The
# build is quiet so that what it prints is the audit's, as the README shows.
run-sample:
	@$(GO_BUILD_TOLLGATE)
	@$(BIN)/tollgate audit --tables $(AUDIT_SAMPLE_TABLES) $(AUDIT_SAMPLE) || [ $$? -eq 1 ]

audit-sample:
	$(GO) run ./cmd/internal/gencsv -sample -o $(AUDIT_SAMPLE)

# The files are kept between runs (they take minutes to make). Each is
# written under a temporary name and renamed into place, so a concurrent
# run never reads a half-written file (gencsv's output is a function of its
# flags: two runs that both make a file make the same file).
$(AUDIT_TMP)/users-%.csv:
	@mkdir -p $(AUDIT_TMP)
	@tmp=$$(mktemp "$@.XXXXXX") && trap 'rm -f "$$tmp"' EXIT && \
	$(GO) run ./cmd/internal/gencsv -n $(subst k,000,$(subst m,000000,$*)) -o "$$tmp" && chmod 644 "$$tmp" && mv "$$tmp" $@

$(AUDIT_TMP)/bat-%.csv:
	@mkdir -p $(AUDIT_TMP)
	@tmp=$$(mktemp "$@.XXXXXX") && trap 'rm -f "$$tmp"' EXIT && \
	$(GO) run ./cmd/internal/gencsv -hashes=false -n $(subst k,000,$(subst m,000000,$*)) -o "$$tmp" && chmod 644 "$$tmp" && mv "$$tmp" $@

bench-audit: build $(AUDIT_TMP)/users-1m.csv $(AUDIT_TMP)/bat-1m.csv $(AUDIT_TMP)/users-10m.csv
	for f in bat-1m users-1m; do \
	  TOLLGATE_AUDIT_FILE=$(AUDIT_TMP)/$$f.csv $(GO) test -run '^$$' -bench 'Floor|Reader|AuditNative|AuditWasm' -benchtime=1x -count=1 ./audit; \
	done
	for f in users-1m users-10m; do \
	  /usr/bin/time -f "$$f: peak RSS %M KiB, %e s" $(BIN)/tollgate audit --engine native --format json -o /dev/null $(AUDIT_TMP)/$$f.csv || true; \
	  /usr/bin/time -f "$$f (wasm): peak RSS %M KiB, %e s" $(BIN)/tollgate audit --engine wasm --format json -o /dev/null $(AUDIT_TMP)/$$f.csv || true; \
	done

## bench-guest: the guest-compute ratio (the audit's Stream, no boundary,
## wasm under wazero/Node/Chromium against native) and the audits on the
## same files (docs/performance.md, "Under V8"). Run it alone on the machine.
## js-deps brings playwright-core (and Chromium) for the Chromium rows.
bench-guest: js-deps $(AUDIT_TMP)/bat-300k.csv $(AUDIT_TMP)/users-100k.csv
	GO=$(GO) NODE=$(NODE) TOLLGATE_CHROMIUM=$(CHROMIUM) js/bench/guest-ratio.sh 3 $(AUDIT_TMP)/bat-300k.csv $(AUDIT_TMP)/users-100k.csv
