# The service's OpenAPI document (docs/openapi.yaml), linted by a real
# OpenAPI linter: Redocly CLI, pinned exactly in tools/openapi/package.json
# and its package-lock.json, with the recommended rules as errors
# (tools/openapi/redocly.yaml). server/openapi_test.go holds the
# document to what the service accepts and answers.
#
#   make check-openapi   lint docs/openapi.yaml (after openapi-deps)
#   make openapi-deps    npm ci in tools/openapi, only when missing or stale

OPENAPI_DOC   := docs/openapi.yaml
OPENAPI_TOOLS := tools/openapi
# Redocly CLI: no usage telemetry, no update check.
REDOCLY       := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(OPENAPI_TOOLS)/node_modules/.bin/redocly

CHECK_TARGETS += check-openapi

.PHONY: openapi-deps check-openapi

## openapi-deps: node (>= 20.19, what Redocly CLI needs) and the pinned linter.
openapi-deps:
	@command -v $(NODE) >/dev/null || { $(APT) update -qq && $(APT) install -y -qq nodejs npm; }
	@$(NODE) -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || \
	  { echo "openapi-deps: node >= 20.19 is needed for Redocly CLI (have $$($(NODE) --version))"; exit 1; }
	@if [ ! -f $(OPENAPI_TOOLS)/node_modules/.package-lock.json ] || [ $(OPENAPI_TOOLS)/package-lock.json -nt $(OPENAPI_TOOLS)/node_modules/.package-lock.json ]; then \
	  echo "openapi-deps: npm ci in $(OPENAPI_TOOLS)"; cd $(OPENAPI_TOOLS) && $(NPM) ci --no-audit --no-fund --loglevel=error; fi

## check-openapi: docs/openapi.yaml is a valid OpenAPI 3.1 document with no lint finding.
check-openapi: openapi-deps
	$(REDOCLY) lint --config $(OPENAPI_TOOLS)/redocly.yaml --format=stylish $(OPENAPI_DOC)
