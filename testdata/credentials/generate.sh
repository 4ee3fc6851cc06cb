#!/bin/sh
# Regenerates the fixtures in this folder from real implementations:
#   slappasswd.json  Debian's slappasswd (package slapd) with the pw-sha2 module
#   passlib.json     passlib's ldap_pbkdf2_* (package python3-passlib), the
#                    format of OpenLDAP's contrib pw-pbkdf2 module, which
#                    Debian does not package
#   hexdump.json     coreutils sha1sum / md5sum, the sha1:HEX and md5:HEX forms
# The secrets are test fixtures, not anyone's credentials. Salts are random,
# so each run gives different records; tests only need them to verify.
set -eu
cd "$(dirname "$0")"
secrets='secret
123456
408408
2580
correct horse battery staple
pässwörd
Tr0ub4dor&3'
sha2='-o module-path=/usr/lib/ldap -o module-load=pw-sha2.la'

json_str() { printf '%s' "$1" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()), end="")'; }

emit() { # file generator then lines of "record<TAB>secret" on stdin
  file=$1; gen=$2
  { printf '{\n  "generator": %s,\n  "records": [\n' "$(json_str "$gen")"
    first=1
    while IFS='	' read -r rec sec; do
      [ $first = 1 ] || printf ',\n'; first=0
      printf '    {"record": %s, "secret": %s}' "$(json_str "$rec")" "$(json_str "$sec")"
    done
    printf '\n  ]\n}\n'; } > "$file"
}

ver=$(dpkg-query -W -f '${Version}' slapd)
echo "$secrets" | while IFS= read -r s; do
  for h in '{SHA}' '{SSHA}' '{MD5}' '{SMD5}'; do
    printf '%s\t%s\n' "$(slappasswd -n -h "$h" -s "$s")" "$s"
  done
  for h in '{SHA256}' '{SSHA256}' '{SHA384}' '{SSHA384}' '{SHA512}' '{SSHA512}'; do
    # shellcheck disable=SC2086
    printf '%s\t%s\n' "$(slappasswd $sha2 -n -h "$h" -s "$s")" "$s"
  done
done | emit slappasswd.json "slappasswd (slapd $ver, pw-sha2)"

pver=$(dpkg-query -W -f '${Version}' python3-passlib)
echo "$secrets" | /usr/bin/python3 -c '
import sys
from passlib.hash import ldap_pbkdf2_sha1, ldap_pbkdf2_sha256, ldap_pbkdf2_sha512
for s in sys.stdin.read().splitlines():
    for h in (ldap_pbkdf2_sha1, ldap_pbkdf2_sha256, ldap_pbkdf2_sha512):
        for rounds in (1000, 10000):
            print(h.using(rounds=rounds, salt_size=16).hash(s) + "\t" + s)
' | emit passlib.json "passlib $pver ldap_pbkdf2_sha1/sha256/sha512, 16-byte salt"

echo "$secrets" | while IFS= read -r s; do
  printf 'sha1:%s\t%s\n' "$(printf '%s' "$s" | sha1sum | cut -d' ' -f1)" "$s"
  printf 'md5:%s\t%s\n' "$(printf '%s' "$s" | md5sum | cut -d' ' -f1)" "$s"
  printf 'SHA1:%s\t%s\n' "$(printf '%s' "$s" | sha1sum | cut -d' ' -f1 | tr a-f A-F)" "$s"
done | emit hexdump.json "coreutils sha1sum/md5sum"
