package core

import (
	"bytes"
	"errors"
	"slices"
)

// PasswordList is a breached-password list: the skeletons
// (PasswordSkeleton) of a corpus of leaked passwords, as an exact set. It
// is read from the payload of the "passwords" data artifact
// (docs/abi.md, "Data artifacts") and never modified, so one list may
// serve any number of checks at once.
//
// The payload is a sorted, front-coded set:
//
//	u8  norm       PasswordNormVersion the skeletons were made with
//	u8  block      entries per block
//	u16 reserved   0
//	u32 count      entries
//	u32 blocks     number of blocks
//	u32 offsets[blocks]  start of each block, from the end of the offsets
//	blocks: the first entry as u8 length + bytes, every other entry as
//	        u8 shared-prefix length + u8 suffix length + suffix bytes
//
// Little-endian; entries are at most 64 bytes, in byte order, unique.
type PasswordList struct {
	block   int
	count   int
	offsets []byte // blocks × u32
	data    []byte
}

// PasswordNormVersion numbers the normalisation PasswordSkeleton applies.
// A list made with another version is refused: its skeletons would not
// meet the passwords'. Change it whenever the normalisation changes, and
// regenerate the list (go generate).
const PasswordNormVersion = 1

const passwordListHeader = 12

// ParsePasswordList checks a payload's structure and returns the list over
// it (the bytes are kept, not copied).
func ParsePasswordList(b []byte) (*PasswordList, error) {
	if len(b) < passwordListHeader {
		return nil, errors.New("password list: shorter than its header")
	}
	if b[0] != PasswordNormVersion {
		return nil, errListVersion
	}
	l := &PasswordList{block: int(b[1]), count: int(le32(b[4:]))}
	nb := int(le32(b[8:]))
	if nb > (len(b)-passwordListHeader)/4 {
		return nil, errMalformedList
	}
	l.offsets = b[passwordListHeader : passwordListHeader+4*nb]
	l.data = b[passwordListHeader+4*nb:]
	// Block offsets are not checked here (the artifact's checksum vouches
	// for them): every read of Contains is bounds-checked instead.
	return l, nil
}

var (
	errMalformedList = errors.New("password list: malformed (header or block offsets)")
	errListVersion   = errors.New("password list: made with another normalisation version than this build's " +
		"(PasswordNormVersion): regenerate it (go generate)")
)

// Len is the number of entries.
func (l *PasswordList) Len() int { return l.count }

// first returns the first entry of block i.
func (l *PasswordList) first(i int) []byte {
	o := int(le32(l.offsets[4*i:]))
	if o >= len(l.data) || o+1+int(l.data[o]) > len(l.data) {
		return nil
	}
	return l.data[o+1 : o+1+int(l.data[o])]
}

// Contains reports whether key is in the list. It does not allocate.
func (l *PasswordList) Contains(key []byte) bool {
	if l == nil || l.count == 0 || len(key) > maxKeyBytes {
		return false
	}
	nb := len(l.offsets) / 4
	// The last block whose first entry is <= key.
	lo, hi := 0, nb
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(l.first(m), key) <= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return false
	}
	bi := lo - 1
	o := int(le32(l.offsets[4*bi:]))
	end := len(l.data)
	if bi+1 < nb {
		end = int(le32(l.offsets[4*(bi+1):]))
	}
	var cur [maxKeyBytes]byte
	if end > len(l.data) || o >= end {
		return false
	}
	n := int(l.data[o])
	if n > maxKeyBytes || o+1+n > end {
		return false
	}
	copy(cur[:], l.data[o+1:o+1+n])
	o += 1 + n
	for {
		switch bytes.Compare(cur[:n], key) {
		case 0:
			return true
		case 1:
			return false
		}
		if o+2 > end {
			return false
		}
		shared, m := int(l.data[o]), int(l.data[o+1])
		o += 2
		if shared > n || shared+m > maxKeyBytes || o+m > end {
			return false
		}
		copy(cur[shared:], l.data[o:o+m])
		n = shared + m
		o += m
	}
}

// EncodePasswordList builds the payload of a list of skeletons (sorted and
// made unique here) with block entries per block. The generator of the
// "passwords" artifact calls it.
func EncodePasswordList(skeletons []string, block int) ([]byte, error) {
	if block < 1 || block > 255 {
		return nil, errors.New("password list: block size " + itoa(block) + " is out of range 1..255")
	}
	s := slices.Clone(skeletons)
	slices.Sort(s)
	s = slices.Compact(s)
	for _, e := range s {
		if len(e) == 0 || len(e) > maxKeyBytes {
			return nil, errors.New("password list: an entry of " + itoa(len(e)) + " bytes is out of range 1..64")
		}
	}
	nb := (len(s) + block - 1) / block
	out := make([]byte, passwordListHeader+4*nb)
	out[0], out[1] = PasswordNormVersion, byte(block)
	putLE32(out[4:], uint32(len(s)))
	putLE32(out[8:], uint32(nb))
	var data []byte
	for i, e := range s {
		if i%block == 0 {
			putLE32(out[passwordListHeader+4*(i/block):], uint32(len(data)))
			data = append(data, byte(len(e)))
			data = append(data, e...)
			continue
		}
		p := s[i-1]
		k := 0
		for k < len(p) && k < len(e) && p[k] == e[k] {
			k++
		}
		data = append(data, byte(k), byte(len(e)-k))
		data = append(data, e[k:]...)
	}
	return append(out, data...), nil
}

func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func putLE32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
