package credential

import "strings"

// Scheme is a stored-credential format. The zero value is no scheme.
type Scheme uint8

// The supported schemes. The RFC 2307 / OpenLDAP ones are written
// {NAME}base64(digest || salt); PBKDF2 follows OpenLDAP's pw-pbkdf2 module
// ({PBKDF2-SHA256}ITER$SALT$DK in adapted base64); the hex forms are the
// sha1:HEX and md5:HEX of CSV exports.
const (
	SchemeNone   Scheme = iota
	SHA                 // {SHA}: SHA-1, unsalted (RFC 2307)
	SSHA                // {SSHA}: SHA-1, salted
	SHA256              // {SHA256} (OpenLDAP pw-sha2)
	SSHA256             // {SSHA256}
	SHA384              // {SHA384}
	SSHA384             // {SSHA384}
	SHA512              // {SHA512}
	SSHA512             // {SSHA512}
	MD5                 // {MD5}: not allowed under FIPS
	SMD5                // {SMD5}: not allowed under FIPS
	PBKDF2SHA1          // {PBKDF2-SHA1}, also read as {PBKDF2}
	PBKDF2SHA256        // {PBKDF2-SHA256}
	PBKDF2SHA512        // {PBKDF2-SHA512}
	HexSHA1             // sha1:HEX
	HexMD5              // md5:HEX: not allowed under FIPS
	numSchemes
)

type algo uint8

const (
	algSHA1 algo = iota
	algSHA256
	algSHA384
	algSHA512
	algMD5
)

// size is the digest length of each algorithm in bytes.
func (a algo) size() int {
	switch a {
	case algSHA1:
		return 20
	case algSHA256:
		return 32
	case algSHA384:
		return 48
	case algSHA512:
		return 64
	default:
		return 16
	}
}

type form uint8

const (
	formRFC2307 form = iota
	formPBKDF2
	formHex
)

type schemeInfo struct {
	name   string // canonical name, as written in a record ("{SSHA}", "sha1:")
	alg    algo
	form   form
	salted bool
	// saltLen is the salt length the reference implementation makes:
	// slappasswd uses 4 bytes for {SSHA}/{SMD5}, the pw-sha2 module 8,
	// pw-pbkdf2 16.
	saltLen int
}

var schemes = [numSchemes]schemeInfo{
	SHA:          {"{SHA}", algSHA1, formRFC2307, false, 0},
	SSHA:         {"{SSHA}", algSHA1, formRFC2307, true, 4},
	SHA256:       {"{SHA256}", algSHA256, formRFC2307, false, 0},
	SSHA256:      {"{SSHA256}", algSHA256, formRFC2307, true, 8},
	SHA384:       {"{SHA384}", algSHA384, formRFC2307, false, 0},
	SSHA384:      {"{SSHA384}", algSHA384, formRFC2307, true, 8},
	SHA512:       {"{SHA512}", algSHA512, formRFC2307, false, 0},
	SSHA512:      {"{SSHA512}", algSHA512, formRFC2307, true, 8},
	MD5:          {"{MD5}", algMD5, formRFC2307, false, 0},
	SMD5:         {"{SMD5}", algMD5, formRFC2307, true, 4},
	PBKDF2SHA1:   {"{PBKDF2-SHA1}", algSHA1, formPBKDF2, true, 16},
	PBKDF2SHA256: {"{PBKDF2-SHA256}", algSHA256, formPBKDF2, true, 16},
	PBKDF2SHA512: {"{PBKDF2-SHA512}", algSHA512, formPBKDF2, true, 16},
	HexSHA1:      {"sha1:", algSHA1, formHex, false, 0},
	HexMD5:       {"md5:", algMD5, formHex, false, 0},
}

// Schemes lists every supported scheme in a stable order.
func Schemes() []Scheme {
	out := make([]Scheme, 0, numSchemes-1)
	for s := SchemeNone + 1; s < numSchemes; s++ {
		out = append(out, s)
	}
	return out
}

func (s Scheme) valid() bool { return s > SchemeNone && s < numSchemes }

// String is the scheme's canonical name: "{SSHA}", "{PBKDF2-SHA256}",
// "sha1:hex", "md5:hex"; "" for SchemeNone.
func (s Scheme) String() string {
	switch {
	case !s.valid():
		return ""
	case schemes[s].form == formHex:
		return schemes[s].name + "hex"
	}
	return schemes[s].name
}

// FIPS reports whether Unity Connection's FIPS mode can verify records of
// this scheme: the SHA family (and PBKDF2 over it) only, never MD5.
func (s Scheme) FIPS() bool { return s.valid() && schemes[s].alg != algMD5 }

// Salted reports whether records of this scheme carry a salt.
func (s Scheme) Salted() bool { return s.valid() && schemes[s].salted }

// SaltLen is the salt length, in bytes, that the reference implementation
// uses when it makes a record (0 for unsalted schemes). Make accepts other
// lengths where the format allows (see Make).
func (s Scheme) SaltLen() int {
	if !s.valid() {
		return 0
	}
	return schemes[s].saltLen
}

// ParseScheme finds a scheme by name, ignoring case: the braced record
// prefix ("{SSHA}") or the bare name ("ssha", "pbkdf2-sha256"); "{PBKDF2}"
// is the alias OpenLDAP gives {PBKDF2-SHA1}. The hex forms are "sha1:hex"
// or "sha1:" (and "md5:hex", "md5:"); a bare "sha1" also means sha1:hex,
// since RFC 2307 has no scheme of that name, but a bare "md5" is {MD5}.
func ParseScheme(name string) (Scheme, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	switch n {
	case "SHA1:HEX", "SHA1:", "SHA1":
		return HexSHA1, true
	case "MD5:HEX", "MD5:":
		return HexMD5, true
	}
	if len(n) >= 2 && n[0] == '{' && n[len(n)-1] == '}' {
		n = n[1 : len(n)-1]
	}
	return braced(n)
}

// braced finds an RFC 2307 / OpenLDAP scheme by its upper-case name
// without braces.
func braced(n string) (Scheme, bool) {
	if n == "PBKDF2" {
		return PBKDF2SHA1, true
	}
	for s := SchemeNone + 1; s < numSchemes; s++ {
		si := &schemes[s]
		if si.form != formHex && si.name[1:len(si.name)-1] == n {
			return s, true
		}
	}
	return SchemeNone, false
}
