# Live toll-fraud enforcement in a real SIP server (issue 9): Kamailio from
# Debian asks `tollgate serve` about every new INVITE, and calls survive the
# death of one of two replicas (issue 17). See docs/kamailio.md.
#
#   make test-integration   tollgate serve (four), a sipp UAS and seven
#                           kamailio instances on loopback ports; sipp UAC
#                           calls that must get through, get 403, or fail
#                           closed; a replica killed and one hung under calls
#   make integration-deps   kamailio (+ http_client, jansson) and sipp
#   make check-kamailio     kamailio -c on the configuration and its variants
#   make bench-kamailio     call-setup time with and without the check, and
#                           through a replica's death, more rounds (figures
#                           in docs/performance.md)

TEST_DEPS     += integration-deps
TEST_TARGETS  += test-integration
CHECK_TARGETS += check-kamailio

KAMAILIO_CFG      := plugins/kamailio/kamailio.cfg
KAMAILIO_PKGS     := kamailio kamailio-utils-modules kamailio-extra-modules sip-tester
INTEGRATION_TIME  ?= 600
LAT_CALLS         ?= 200
LAT_ROUNDS        ?= 3
FAILOVER_ROUNDS   ?= 1

.PHONY: integration-deps test-integration check-kamailio bench-kamailio

## integration-deps: install kamailio, its http_client and jansson modules,
## and sipp, only when one is missing. The package would start Debian's own
## kamailio service, which listens on every interface: installed only for
## the tests, it is never started and is left disabled
## (mk/apt-install-nostart.sh; a kamailio the machine already had is left
## alone).
integration-deps:
	@if ! command -v kamailio >/dev/null || ! command -v sipp >/dev/null || ! command -v setsid >/dev/null || \
	   ! ls /usr/lib/*/kamailio/modules/http_client.so /usr/lib/*/kamailio/modules/jansson.so >/dev/null 2>&1; then \
	  echo "integration-deps: installing $(KAMAILIO_PKGS)"; \
	  sh mk/apt-install-nostart.sh kamailio --no-install-recommends $(KAMAILIO_PKGS) util-linux; \
	fi

## test-integration: the whole scenario, bounded in time; every process it
## started is stopped on exit (the script's trap; timeout sends it TERM).
test-integration: integration-deps
	LAT_CALLS=$(LAT_CALLS) LAT_ROUNDS=$(LAT_ROUNDS) FAILOVER_ROUNDS=$(FAILOVER_ROUNDS) timeout --kill-after=20 $(INTEGRATION_TIME) bash plugins/kamailio/integration-test.sh

## check-kamailio: the configuration parses, as shipped and with each switch.
check-kamailio: integration-deps
	@log=$$(mktemp "$${TMPDIR:-/tmp}/tollgate-kamailio-check.XXXXXX"); trap 'rm -f "$$log"' EXIT; \
	for defs in "" "-A TOLLGATE_FAIL_OPEN" "-A TOLLGATE_OFF" "-A TOLLGATE_TOKEN=\"x\"" \
	    "-A TOLLGATE_CON2=\"tollgate2=>http://127.0.0.1:8701\"" \
	    "-A TOLLGATE_CON2=\"tollgate2=>http://127.0.0.1:8701\" -A TOLLGATE_FAIL_OPEN" \
	    "-A TOLLGATE_TOKEN=\"x\" -A TOLLGATE_URL2=\"http://127.0.0.1:8701/v1/dial\""; do \
	  kamailio -c -f $(KAMAILIO_CFG) $$defs >"$$log" 2>&1 || \
	    { cat "$$log"; echo "kamailio -c $$defs: $(KAMAILIO_CFG) does not parse"; exit 1; }; \
	done; echo "$(KAMAILIO_CFG) parses (default, TOLLGATE_FAIL_OPEN, TOLLGATE_OFF, TOLLGATE_TOKEN; two replicas: TOLLGATE_CON2, with TOLLGATE_FAIL_OPEN, TOLLGATE_TOKEN with TOLLGATE_URL2)"
	bash -n plugins/kamailio/integration-test.sh
	@if command -v xmllint >/dev/null; then xmllint --noout plugins/kamailio/sipp/*.xml; fi

## bench-kamailio: call-setup time, 5 rounds of 500 calls each way; five
## kills of a replica under two streams of 250 calls.
bench-kamailio: integration-deps
	@mkdir -p out
	LAT_CALLS=500 LAT_ROUNDS=5 FAILOVER_ROUNDS=5 FAILOVER_CALLS=250 LATENCY_OUT=out/kamailio-latency.txt timeout --kill-after=20 900 bash plugins/kamailio/integration-test.sh
