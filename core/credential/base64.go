package credential

// Standard base64 (RFC 4648 section 4) for the records. encoding/base64
// would do, but it costs the WebAssembly module about 4 KB gzip (its
// encoders, the fast decoding paths and an init building four decoding
// maps) for the few dozen bytes of a record. FuzzBase64 holds these to
// encoding/base64: the same bytes, and the same offset for every error.

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// encodeB64 is base64.StdEncoding.EncodeToString (pad) or
// RawStdEncoding's (!pad).
func encodeB64(b []byte, pad bool) string {
	out := make([]byte, 0, (len(b)+2)/3*4)
	for i := 0; i < len(b); i += 3 {
		n := min(3, len(b)-i) // bytes in this group: 4 characters for 3, 3 for 2, 2 for 1
		var v uint
		for k := range n {
			v |= uint(b[i+k]) << (16 - 8*k)
		}
		for k := range n + 1 {
			out = append(out, b64Alphabet[v>>(18-6*k)&63])
		}
		if pad {
			out = append(out, "=="[:3-n]...)
		}
	}
	return string(out)
}

// b64Value is the 6 bits of a base64 character, or -1 ('=' and anything
// else).
func b64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// decodeB64Raw decodes s as base64.StdEncoding.DecodeString (padded) or
// RawStdEncoding's (!padded) does for a string of the alphabet and '='
// only (decodeB64 refuses any other byte first). bad is the offset
// encoding/base64's CorruptInputError would give, or -1.
func decodeB64Raw(s string, padded bool) (out []byte, bad int) {
	out = make([]byte, 0, len(s)/4*3+2)
	for si := 0; si < len(s); {
		// One quantum: up to four characters, the last ones possibly
		// padding, which ends the input.
		var v uint
		j := 0
		for ; j < 4; j++ {
			if si == len(s) {
				if j == 1 || padded {
					return nil, si - j
				}
				break
			}
			c := s[si]
			si++
			if x := b64Value(c); x >= 0 {
				v |= uint(x) << (18 - 6*j)
				continue
			}
			// '=': padding after two or three characters, then nothing.
			switch {
			case !padded || j < 2:
				return nil, si - 1
			case j == 2 && si == len(s):
				return nil, len(s) // one '=' where two are needed
			case j == 2 && s[si] != '=':
				return nil, si - 1
			case j == 2:
				si++
			}
			if si < len(s) {
				return nil, si
			}
			break
		}
		out = append(out, byte(v>>16), byte(v>>8), byte(v))[:len(out)+j-1]
	}
	return out, -1
}
