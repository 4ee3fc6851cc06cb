// Package artifact reads and writes tollgate's data artifacts: named,
// versioned, checksummed files of data that the core needs but the
// WebAssembly module does not carry, so that every host (the Go host,
// wazero, JS) loads the same bytes the same way (docs/abi.md, "Data
// artifacts"): "passwords", the breached-password list of the password
// blocklist (wasm/passwords.tgd), and "destinations", libphonenumber's
// metadata compiled for core/destination (wasm/destinations.tgd).
//
// A file is a header and a payload, little-endian:
//
//	magic    8 bytes  "TGDATA1\n" (1: the version of this container format)
//	name     u8 length n, then n bytes of [a-z0-9-] (1..32)
//	version  u8 length m, then m bytes of printable ASCII (1..64)
//	length   u32, the payload's length
//	sha256   32 bytes, SHA-256 of everything before this field and of the payload
//	payload  length bytes, in the format the name selects
//
// The package is pure: it parses bytes it is given.
package artifact

import (
	"errors"
	"strconv"
)

// Magic opens every artifact; its seventh byte is the container version.
const Magic = "TGDATA1\n"

// MaxPayload bounds a payload (64 MiB): a host refuses anything larger
// before hashing it.
const MaxPayload = 64 << 20

// Artifact is a parsed, verified artifact. Payload aliases the input.
type Artifact struct {
	Name    string
	Version string
	SHA256  [32]byte
	Payload []byte
}

// Parse checks b's header and checksum and returns the artifact. Errors say
// what is wrong and where (the offset); they quote nothing of the payload.
func Parse(b []byte) (*Artifact, error) {
	if len(b) < len(Magic) || string(b[:len(Magic)]) != Magic {
		return nil, errors.New("data artifact: no TGDATA1 magic at offset 0 (not an artifact, or a newer container version)")
	}
	off := len(Magic)
	name, off, err := field(b, off, 32, true)
	if err != nil {
		return nil, err
	}
	version, off, err := field(b, off, 64, false)
	if err != nil {
		return nil, err
	}
	if len(b) < off+4+32 {
		return nil, bad("truncated header", len(b))
	}
	n := int(uint32(b[off]) | uint32(b[off+1])<<8 | uint32(b[off+2])<<16 | uint32(b[off+3])<<24)
	head := off + 4
	if n > MaxPayload || len(b) != head+32+n {
		return nil, bad("payload length does not match the file's (truncated or padded)", off)
	}
	a := &Artifact{Name: name, Version: version, Payload: b[head+32:]}
	a.SHA256 = checksum(b[:head], a.Payload)
	if string(a.SHA256[:]) != string(b[head:head+32]) {
		return nil, errors.New("data artifact \"" + name + "\" " + version + ": checksum mismatch (the file is corrupt)")
	}
	return a, nil
}

func bad(what string, off int) error {
	return errors.New("data artifact: " + what + " at offset " + strconv.Itoa(off))
}

// field reads a length-prefixed name (a-z, 0-9, -) or version (printable
// ASCII) of 1..maxLen bytes.
func field(b []byte, off, maxLen int, name bool) (string, int, error) {
	if off >= len(b) || b[off] == 0 || int(b[off]) > maxLen || off+1+int(b[off]) > len(b) {
		return "", off, bad("bad name or version length", off)
	}
	s := b[off+1 : off+1+int(b[off])]
	for i, c := range s {
		ok := c > ' ' && c < 0x7f
		if name {
			ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
		}
		if !ok {
			return "", off, bad("forbidden byte in name or version", off+1+i)
		}
	}
	return string(s), off + 1 + len(s), nil
}

// Encode builds an artifact file. It is the generator's half of Parse.
func Encode(name, version string, payload []byte) ([]byte, error) {
	if len(payload) > MaxPayload {
		return nil, errors.New("data artifact: payload too large")
	}
	b := append([]byte(Magic), byte(len(name)))
	b = append(b, name...)
	b = append(b, byte(len(version)))
	b = append(b, version...)
	n := uint32(len(payload))
	b = append(b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	sum := checksum(b, payload)
	b = append(b, sum[:]...)
	b = append(b, payload...)
	if _, err := Parse(b); err != nil {
		return nil, err
	}
	return b, nil
}
