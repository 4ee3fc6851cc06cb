package destination

import (
	"errors"
	"strconv"
)

// The payload of the "destinations" data artifact (wasm/destinations.tgd,
// written by tools/destgen). The artifact's container (core/artifact)
// names, versions and checksums it; the payload begins with its own format
// version. Integers are unsigned LEB128 varints; a string is its length
// then its bytes.
//
//	format   1 byte                     Format
//	source   string                     the metadata it was generated from
//	regions  n, then per region: code, calling code, n international
//	         prefixes (strings), national (trunk) prefix
//	codes    n, then per calling code (ascending): code, root state,
//	         class of an unknown number
//	classes  n, then per class: calling code, region index + 1 (0: none),
//	         libphonenumber type (0..11)
//	states   n, then per state: class, runs r (1..10), then r times
//	         length (1..10) and zigzag(target - state), covering the
//	         digits 0..9 in order
//
// States are the automaton over the digits of national significant
// numbers: a state's class is the destination of the digits read so far.

// Format is the payload format this package reads (2: the payload of a
// core/artifact container; 1 was a file of its own with its own magic and
// checksum).
const Format = 2

// Limits that Load enforces (far above libphonenumber's needs).
const (
	maxRegions = 1024
	maxClasses = 1 << 15
	maxStates  = 1 << 22
	maxPrefix  = 16
)

// Table is the loaded destination metadata. It is immutable.
type Table struct {
	source  string
	regions []region
	byCode  map[string]int
	codes   []uint16 // calling codes, ascending
	ccRoot  [1000]int32
	ccUnk   [1000]int32
	ccName  [1000]string // "+1", "+44": made once, so that a result costs no allocation
	classes []class      // artifact classes, then classInternal, classUnknownCountry
	trans   []int32      // trans[s*10+digit]
	out     []int32      // class of each state
}

type region struct {
	code string
	cc   uint16
	intl []string
	nat  string
}

type class struct {
	cc     uint16
	region int32 // index into regions, -1 for none
	raw    Type
}

// Source is the metadata the table was generated from
// ("github.com/nyaruka/phonenumbers v1.8.1").
func (t *Table) Source() string { return t.source }

// States is the number of automaton states (for sizing reports).
func (t *Table) States() int { return len(t.out) }

// Regions lists the region (country) codes the table knows, in artifact
// order.
func (t *Table) Regions() []string {
	out := make([]string, len(t.regions))
	for i, r := range t.regions {
		out[i] = r.code
	}
	return out
}

// CallingCode is the country calling code of region code rc (0 when the
// table does not know it).
func (t *Table) CallingCode(rc string) int {
	if i, ok := t.byCode[rc]; ok {
		return int(t.regions[i].cc)
	}
	return 0
}

// CallingCodes lists the calling codes the table knows, ascending.
func (t *Table) CallingCodes() []int {
	out := make([]int, len(t.codes))
	for i, c := range t.codes {
		out[i] = int(c)
	}
	return out
}

// ErrFormat is wrapped by every Load error.
var ErrFormat = errors.New("destination data")

// FormatError is a Load error: what is wrong and at which byte offset.
type FormatError struct {
	Offset int
	Msg    string
}

func (e *FormatError) Error() string {
	return "destination data: byte " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

func (e *FormatError) Unwrap() error { return ErrFormat }

type reader struct {
	b   []byte
	off int
	err *FormatError
}

func (r *reader) fail(msg string) {
	if r.err == nil {
		r.err = &FormatError{Offset: r.off, Msg: msg}
	}
}

func (r *reader) uvarint(limit uint64, what string) uint64 {
	if r.err != nil {
		return 0
	}
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if r.off >= len(r.b) {
			r.fail("truncated " + what)
			return 0
		}
		c := r.b[r.off]
		r.off++
		if shift >= 63 {
			r.fail(what + ": varint too long")
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	if v > limit {
		r.off--
		r.fail(what + " " + strconv.Itoa(int(v)) + " is above " + strconv.Itoa(int(limit)))
		return 0
	}
	return v
}

func (r *reader) str(limit int, what string) string {
	n := int(r.uvarint(uint64(limit), what+" length"))
	if r.err != nil {
		return ""
	}
	if r.off+n > len(r.b) {
		r.fail("truncated " + what)
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Load checks and decodes the payload of a destinations artifact (whose
// container and checksum the host has verified: core/artifact). It checks
// the format version and range-checks every index, so that a damaged or
// foreign payload is refused with the offset of the problem rather than
// misclassifying.
func Load(data []byte) (*Table, error) {
	r := &reader{b: data}
	if len(data) == 0 {
		return nil, &FormatError{Msg: "empty payload"}
	}
	if v := data[0]; v != Format {
		return nil, &FormatError{Msg: "format " + strconv.Itoa(int(v)) + ", this build reads format " + strconv.Itoa(Format)}
	}
	r.off = 1
	t := &Table{byCode: map[string]int{}}
	t.source = r.str(256, "source")
	nr := int(r.uvarint(maxRegions, "region count"))
	for i := 0; i < nr && r.err == nil; i++ {
		var rg region
		rg.code = r.str(3, "region code")
		rg.cc = uint16(r.uvarint(999, "region calling code"))
		ni := int(r.uvarint(512, "international prefix count"))
		for j := 0; j < ni && r.err == nil; j++ {
			p := r.str(maxPrefix, "international prefix")
			if !digitsOnly(p) || p == "" {
				r.fail("international prefix " + quote(p) + " is not digits")
			}
			rg.intl = append(rg.intl, p)
		}
		rg.nat = r.str(maxPrefix, "national prefix")
		if !digitsOnly(rg.nat) {
			r.fail("national prefix " + quote(rg.nat) + " is not digits")
		}
		if _, dup := t.byCode[rg.code]; dup || rg.code == "" {
			r.fail("region code " + quote(rg.code) + " empty or repeated")
		}
		t.byCode[rg.code] = i
		t.regions = append(t.regions, rg)
	}
	nc := int(r.uvarint(999, "calling code count"))
	for i := range t.ccRoot {
		t.ccRoot[i], t.ccUnk[i] = -1, -1
	}
	type ccRef struct{ root, unk uint64 }
	refs := make([]ccRef, 0, nc)
	for i := 0; i < nc && r.err == nil; i++ {
		cc := uint16(r.uvarint(999, "calling code"))
		if cc == 0 || (i > 0 && cc <= t.codes[i-1]) {
			r.fail("calling codes must ascend from 1")
		}
		t.codes = append(t.codes, cc)
		t.ccName[cc] = "+" + strconv.Itoa(int(cc))
		refs = append(refs, ccRef{r.uvarint(maxStates, "root state"), r.uvarint(maxClasses, "unknown class")})
	}
	ncl := int(r.uvarint(maxClasses-2, "class count"))
	for i := 0; i < ncl && r.err == nil; i++ {
		cc := uint16(r.uvarint(999, "class calling code"))
		rg := int32(r.uvarint(uint64(len(t.regions)), "class region")) - 1
		raw := Type(r.uvarint(uint64(numRawTypes-1), "class type"))
		t.classes = append(t.classes, class{cc: cc, region: rg, raw: raw})
	}
	t.classes = append(t.classes, class{region: -1, raw: Internal}, class{region: -1, raw: Unknown})
	ns := int(r.uvarint(maxStates, "state count"))
	if r.err == nil {
		t.trans = make([]int32, 0, ns*10)
		t.out = make([]int32, 0, ns)
	}
	for s := 0; s < ns && r.err == nil; s++ {
		t.out = append(t.out, int32(r.uvarint(uint64(ncl-1), "state class")))
		runs := int(r.uvarint(10, "run count"))
		covered := 0
		for k := 0; k < runs && r.err == nil; k++ {
			n := int(r.uvarint(10, "run length"))
			z := r.uvarint(1<<32, "target")
			d := int64(z>>1) ^ -int64(z&1)
			tgt := int64(s) + d
			if n == 0 || covered+n > 10 || tgt < 0 || tgt >= int64(ns) {
				r.fail("state " + strconv.Itoa(s) + ": bad transition run")
				break
			}
			for ; n > 0; n-- {
				t.trans = append(t.trans, int32(tgt))
				covered++
			}
		}
		if r.err == nil && covered != 10 {
			r.fail("state " + strconv.Itoa(s) + ": transitions cover " + strconv.Itoa(covered) + " digits, not 10")
		}
	}
	if r.err == nil && r.off != len(data) {
		r.fail("trailing bytes")
	}
	for i, ref := range refs {
		if r.err != nil {
			break
		}
		if ref.root >= uint64(ns) || ref.unk >= uint64(ncl) {
			r.fail("calling code " + strconv.Itoa(int(t.codes[i])) + ": root or class out of range")
		}
		t.ccRoot[t.codes[i]], t.ccUnk[t.codes[i]] = int32(ref.root), int32(ref.unk)
	}
	for i, c := range t.classes[:ncl] {
		if r.err == nil && t.ccRoot[c.cc] < 0 {
			r.fail("class " + strconv.Itoa(i) + ": unknown calling code " + strconv.Itoa(int(c.cc)))
		}
	}
	for _, rg := range t.regions {
		if rg.code == NonGeographic {
			if r.err == nil && (rg.cc != 0 || len(rg.intl) > 0 || rg.nat != "") {
				r.fail("region 001 (the networks) has no calling code or prefixes of its own")
			}
			continue
		}
		if r.err == nil && (rg.cc == 0 || t.ccRoot[rg.cc] < 0) {
			r.fail("region " + rg.code + ": unknown calling code " + strconv.Itoa(int(rg.cc)))
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return t, nil
}

// Class ids beyond the artifact's: a number dialed without an
// outside-line code, and an international number whose calling code is
// not assigned.
func (t *Table) classInternal() int32       { return int32(len(t.classes) - 2) }
func (t *Table) classUnknownCountry() int32 { return int32(len(t.classes) - 1) }

// NonGeographic is the region code of the international networks
// (libphonenumber's, UN M.49's "World").
const NonGeographic = "001"

// Destination is where a number goes.
type Destination struct {
	// CallingCode is the country calling code (1 for all of the North
	// American plan, 882 for an international network); 0 when unknown
	// or internal.
	CallingCode int
	// Country is the ISO 3166-1 alpha-2 code of the country or territory
	// (libphonenumber's region code: "US", "DO"), "001" for the
	// non-geographic networks, "" when not known.
	Country string
	// Type is what tollgate reports; NumberType is libphonenumber's own
	// (they differ only for the satellite and international networks).
	Type       Type
	NumberType Type
}

// Destination describes class id c (from Dialing.Classify or Class).
func (t *Table) Destination(c int32) Destination {
	if c < 0 || int(c) >= len(t.classes) {
		return Destination{}
	}
	cl := t.classes[c]
	d := Destination{CallingCode: int(cl.cc), Type: networkType(cl.cc, cl.raw), NumberType: cl.raw}
	if cl.raw == Internal {
		d.Type = Internal
	}
	if cl.region >= 0 {
		d.Country = t.regions[cl.region].code
	}
	return d
}

// CallingCodeName is calling code cc as results write it ("+1"), or ""
// for a code the data does not assign.
func (t *Table) CallingCodeName(cc int) string {
	if cc <= 0 || cc >= len(t.ccName) {
		return ""
	}
	return t.ccName[cc]
}

// Classes is the number of class ids (for tables indexed by class).
func (t *Table) Classes() int { return len(t.classes) }

// NSN classifies a national significant number (digits only) of calling
// code cc directly, as libphonenumber's GetRegionCodeForNumber and
// GetNumberType do for a number with that code and national number. The
// class id is -1 when cc is not assigned or nsn holds a non-digit.
func (t *Table) NSN(cc int, nsn string) int32 {
	if cc <= 0 || cc > 999 || t.ccRoot[cc] < 0 {
		return -1
	}
	s := t.ccRoot[cc]
	for i := 0; i < len(nsn); i++ {
		c := nsn[i]
		if c < '0' || c > '9' {
			return -1
		}
		s = t.trans[s*10+int32(c-'0')]
	}
	return t.out[s]
}
