package core

import (
	"strings"
	"sync/atomic"
)

// The message catalogue: one English template per code. Templates may use
// {limit} and {detail}, filled from the Reason. Hosts translate by keying
// their own catalogue on the code (the JS package ships a second language).
// Each area adds its templates from its own file with addMessages, so the
// catalogue stays one table without one file owning every code.
var catalogue = map[Code]string{}

// message is one entry of the catalogue. Areas list theirs as slices of
// these, not map literals: a slice of constants is static data, while a
// map literal compiles to one insertion call per entry (6 KB of the
// module for 23 messages).
type message struct {
	code Code
	text string
}

func addMessages(m []message) {
	for _, e := range m {
		if _, dup := catalogue[e.code]; dup {
			panic("core: duplicate message for code " + string(e.code))
		}
		catalogue[e.code] = e.text
	}
}

// Catalogue returns a copy of the English message templates keyed by code.
func Catalogue() map[Code]string {
	out := make(map[Code]string, len(catalogue))
	for c, t := range catalogue {
		out[c] = t
	}
	return out
}

// Message renders the English message for r. It never includes the input.
// A message rendered before is answered from a small cache: a policy's
// reasons repeat (the same code, limit and detail for every user who
// trips a rule), and the bulk audit asks for one per reason of millions
// of rows, where the catalogue lookup, the template scan and the
// allocation were 4 % of its CPU.
func Message(r Reason) string {
	slot := &messages[messageSlot(r)]
	if m := slot.Load(); m != nil && m.code == r.Code && m.limit == r.Limit && m.detail == r.Detail {
		return m.text
	}
	text := Render(catalogue[r.Code], r)
	slot.Store(&rendered{code: r.Code, limit: r.Limit, detail: r.Detail, text: text})
	return text
}

// messages is Message's cache: direct-mapped, each slot an immutable
// entry that a miss replaces, so readers take no lock. What it keeps is
// what a reason holds, never the input (Reason); a caller's own Detail
// stays until another message takes its slot.
var messages [256]atomic.Pointer[rendered]

type rendered struct {
	code   Code
	limit  int
	detail string
	text   string
}

// messageSlot hashes r's code, limit and detail (FNV-1a) onto the cache.
func messageSlot(r Reason) int {
	h := uint32(2166136261)
	for i := 0; i < len(r.Code); i++ {
		h = (h ^ uint32(r.Code[i])) * 16777619
	}
	for i := 0; i < len(r.Detail); i++ {
		h = (h ^ uint32(r.Detail[i])) * 16777619
	}
	h = (h ^ uint32(r.Limit)) * 16777619
	return int((h ^ h>>16) % uint32(len(messages)))
}

// Render fills a template's {limit} and {detail} placeholders from r. It
// allocates once, the message itself: verdicts render a message per
// reason, and the bulk audit renders millions.
func Render(template string, r Reason) string {
	if template == "" {
		return string(r.Code)
	}
	if !strings.Contains(template, "{") {
		return template
	}
	var digits [20]byte
	limit := appendInt(digits[:0], r.Limit)
	// By hand: strings.Replacer costs 25 KB of module code for two names.
	n := 0
	for rest := template; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			n += len(rest)
			break
		}
		n += i
		switch rest = rest[i:]; {
		case strings.HasPrefix(rest, "{limit}"):
			n += len(limit)
			rest = rest[len("{limit}"):]
		case strings.HasPrefix(rest, "{detail}"):
			n += len(r.Detail)
			rest = rest[len("{detail}"):]
		default:
			n++
			rest = rest[1:]
		}
	}
	var b strings.Builder
	b.Grow(n)
	for {
		i := strings.IndexByte(template, '{')
		if i < 0 {
			break
		}
		b.WriteString(template[:i])
		switch rest := template[i:]; {
		case strings.HasPrefix(rest, "{limit}"):
			b.Write(limit)
			template = rest[len("{limit}"):]
		case strings.HasPrefix(rest, "{detail}"):
			b.WriteString(r.Detail)
			template = rest[len("{detail}"):]
		default:
			b.WriteByte('{')
			template = rest[1:]
		}
	}
	b.WriteString(template)
	return b.String()
}

// appendInt appends n in decimal (strconv stays out of the smallest
// builds).
func appendInt(b []byte, n int) []byte {
	u := uint64(n)
	if n < 0 {
		b = append(b, '-')
		u = -u // right for the most negative int too
	}
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + u%10)
		if u /= 10; u == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// itoa avoids strconv in the smallest builds; values are small.
func itoa(n int) string {
	var b [20]byte
	return string(appendInt(b[:0], n))
}
