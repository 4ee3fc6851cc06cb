# Stored credentials (issue 4). The interop tests in core/credential check
# records against Debian's slappasswd (package slapd, with its pw-sha2
# module) and passlib's PBKDF2 (python3-passlib); install them when missing
# so `make test` works on a fresh machine.
#
# slappasswd comes only with slapd, the OpenLDAP server, whose package
# starts the server on install and at boot. The tests need the program, not
# a directory server listening on port 389: mk/apt-install-nostart.sh
# installs it without ever starting it (a masked unit under systemd, a
# policy-rc.d that answers 101 elsewhere) and leaves it disabled. slapd is
# installed only when slappasswd is missing, so an LDAP server the machine
# already runs is never touched.

TEST_DEPS += credentials-deps

# apt-get as root, through sudo otherwise.
CRED_APT := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: credentials-deps

credentials-deps:
	@if ! command -v slappasswd >/dev/null 2>&1 && [ ! -x /usr/sbin/slappasswd ]; then \
	  echo "installing slapd (for slappasswd; its server is not started) for the credential interop tests"; \
	  sh mk/apt-install-nostart.sh slapd slapd; \
	fi
	@if ! /usr/bin/python3 -c 'import passlib.hash' >/dev/null 2>&1; then \
	  echo "installing python3-passlib for the credential interop tests"; \
	  $(CRED_APT) update -qq && $(CRED_APT) install -y -qq python3-passlib >/dev/null; \
	fi
