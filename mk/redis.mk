# Redis, the store several replicas of `tollgate serve` share (issue 17):
# sign-in state and SRSV provisioning cycles (server/redisstore). The
# tests start Debian's redis-server themselves (internal/redistest: a free
# loopback port, a directory of their own, stopped when they end).
#
#   make redis-deps   redis-server and redis-cli, only when one is missing

TEST_DEPS += redis-deps

REDIS_PKGS := redis-server redis-tools

.PHONY: redis-deps

## redis-deps: install redis-server and redis-cli when missing. The
## package would start Debian's own redis-server service at once (on
## 127.0.0.1:6379, for good): installed only for the tests, it is never
## started and is left disabled (mk/apt-install-nostart.sh; a redis-server
## the machine already had is left alone).
redis-deps:
	@if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then \
	  echo "redis-deps: installing $(REDIS_PKGS)"; \
	  sh mk/apt-install-nostart.sh redis-server --no-install-recommends $(REDIS_PKGS); \
	fi
