package credential

// Hex digits for the hex export formats (sha1:HEX, md5:HEX). encoding/hex
// would do, but its error type links fmt, and with it reflect, into the
// WebAssembly module.

const hexDigits = "0123456789abcdef"

// appendHex appends src in lower-case hex, as slappasswd's exports and
// sha1sum print it.
func appendHex(dst, src []byte) []byte {
	for _, c := range src {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// DecodeHex decodes s, digits of either case; ok is false for an odd
// length or any other byte. The api uses it for salts given in hex.
func DecodeHex(s string) (b []byte, ok bool) {
	if len(s)%2 != 0 {
		return nil, false
	}
	b = make([]byte, len(s)/2)
	for i := range b {
		hi, ok1 := fromHexChar(s[2*i])
		lo, ok2 := fromHexChar(s[2*i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		b[i] = hi<<4 | lo
	}
	return b, true
}

func fromHexChar(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
