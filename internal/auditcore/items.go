package auditcore

import "errors"

// The items an in-module audit answers a chunk with (docs/abi.md, "Audit",
// "Items"): a kind byte and its body; integers unsigned LEB128, strings a
// length and UTF-8 bytes.
const (
	ItemHeader  = 'H'
	ItemRecord  = 'R'
	ItemDigests = 'D'
	ItemNote    = 'N'
	ItemPBKDF2  = 'P'
	ItemEnd     = 'E'
)

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendStr(b []byte, s string) []byte {
	return append(appendUvarint(b, uint64(len(s))), s...)
}

func appendU64(b []byte, v uint64) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
}

// AppendRecord appends r as an ItemRecord.
func AppendRecord(b []byte, r *Record) []byte {
	b = append(b, ItemRecord)
	b = appendUvarint(b, uint64(r.Line))
	b = appendStr(b, r.Alias)
	b = appendStr(b, r.COS)
	b = appendUvarint(b, uint64(len(r.Findings)))
	for i := range r.Findings {
		f := &r.Findings[i]
		b = appendStr(appendStr(appendStr(b, f.Code), f.Field), f.Message)
	}
	return b
}

// Digests are a row's shared-PIN digests (an ItemDigests).
type Digests struct {
	Line int
	N    int
	// Field and Digest hold N entries: a plaintext PIN (export.PIN) and
	// a stored PIN record (export.PINHash) at most.
	Field  [2]uint8
	Digest [2]uint64
}

// PBKDF2 is a PBKDF2 record the audit saw (an ItemPBKDF2): its row's
// line, its field (export.PINHash or PasswordHash), scheme
// (credential.Scheme), iteration count and the candidates it gets.
type PBKDF2 struct {
	Line       int
	Field      uint8
	Scheme     uint8
	Iterations int
	Candidates int
}

// AppendPBKDF2 appends p as an ItemPBKDF2.
func AppendPBKDF2(b []byte, p PBKDF2) []byte {
	b = appendUvarint(append(b, ItemPBKDF2), uint64(p.Line))
	b = append(b, p.Field, p.Scheme)
	return appendUvarint(appendUvarint(b, uint64(p.Iterations)), uint64(p.Candidates))
}

// Item is one decoded item. Only the members of its Kind are set.
type Item struct {
	Kind    byte
	Line    int    // ItemHeader: the header's line
	Text    string // ItemHeader, ItemEnd: JSON; ItemNote: the note
	Record  Record
	Digests Digests
	PBKDF2  PBKDF2
}

var errShort = errors.New("audit items: truncated")

// Decoder reads items from a chunk's answer.
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder reads the items of b; the strings it returns are copies.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

func (d *Decoder) uvarint() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if len(d.b) == 0 || shift > 63 {
			d.err = errShort
			return 0
		}
		c := d.b[0]
		d.b = d.b[1:]
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
}

func (d *Decoder) str() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errShort
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// Next decodes the next item into it (whose Record.Findings slice is
// reused); false at the end or on a malformed answer (Err).
func (d *Decoder) Next(it *Item) bool {
	if d.err != nil || len(d.b) == 0 {
		return false
	}
	it.Kind = d.b[0]
	d.b = d.b[1:]
	switch it.Kind {
	case ItemHeader:
		it.Line = int(d.uvarint())
		it.Text = d.str()
	case ItemNote, ItemEnd:
		it.Text = d.str()
	case ItemRecord:
		r := &it.Record
		r.Line = int(d.uvarint())
		r.Alias = d.str()
		r.COS = d.str()
		n := d.uvarint()
		if n > uint64(len(d.b)) {
			d.err = errShort
			return false
		}
		r.Findings = r.Findings[:0]
		for range n {
			r.Findings = append(r.Findings, Finding{Code: d.str(), Field: d.str(), Message: d.str()})
		}
	case ItemDigests:
		g := &it.Digests
		g.Line = int(d.uvarint())
		if len(d.b) < 1 || d.b[0] > 2 {
			d.err = errShort
			return false
		}
		g.N = int(d.b[0])
		d.b = d.b[1:]
		for i := range g.N {
			if len(d.b) < 9 {
				d.err = errShort
				return false
			}
			g.Field[i] = d.b[0]
			g.Digest[i] = le64(d.b[1:9])
			d.b = d.b[9:]
		}
	case ItemPBKDF2:
		p := &it.PBKDF2
		p.Line = int(d.uvarint())
		if len(d.b) < 2 {
			d.err = errShort
			return false
		}
		p.Field, p.Scheme = d.b[0], d.b[1]
		d.b = d.b[2:]
		p.Iterations = int(d.uvarint())
		p.Candidates = int(d.uvarint())
	default:
		d.err = errors.New("audit items: unknown kind")
		return false
	}
	return d.err == nil
}

// Err is what stopped Next early, nil at a clean end.
func (d *Decoder) Err() error { return d.err }

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// AppendShared appends one entry of audit.shared's request: a digest of
// field held by count rows.
func AppendShared(b []byte, field uint8, digest uint64, count int) []byte {
	return append(appendU64(append(b, field), digest), uint8(min(count, Saturated)))
}
