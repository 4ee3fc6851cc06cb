# Stored credentials (issue 4). The interop tests in core/credential check
# records against Debian's slappasswd (package slapd, with its pw-sha2
# module) and passlib's PBKDF2 (python3-passlib); install them when missing
# so `make test` works on a fresh machine.

TEST_DEPS += credentials-deps

.PHONY: credentials-deps

credentials-deps:
	@if ! command -v slappasswd >/dev/null 2>&1 && [ ! -x /usr/sbin/slappasswd ] || ! /usr/bin/python3 -c 'import passlib.hash' >/dev/null 2>&1; then \
	  echo "installing slapd and python3-passlib for the credential interop tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd python3-passlib >/dev/null; \
	fi
