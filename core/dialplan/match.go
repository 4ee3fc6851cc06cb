package dialplan

import "bytes"

// Reason is why a number got its verdict. Its code (String) is stable.
type Reason uint8

// Reasons. Matched means a row decided (Result.Row); NoMatch that no row
// matched and the table's no_match verdict applied (never for cuc tables,
// which end with *); Timeout that a regular expression ran out of time
// (the number is then blocked).
const (
	ReasonMatched Reason = iota
	ReasonTooShort
	ReasonTooLong
	ReasonInvalid
	ReasonNoMatch
	ReasonTimeout
)

var reasonCodes = [...]string{"matched", "too_short", "too_long", "invalid", "no_match", "timeout"}

// String returns the stable reason code.
func (r Reason) String() string {
	if int(r) < len(reasonCodes) {
		return reasonCodes[r]
	}
	return "unknown"
}

// Result is the verdict on one dialed number: scalars only, so that
// matching allocates nothing and a wasm export can return it field by
// field. Table.Pattern(r) gives the deciding pattern.
type Result struct {
	Allowed bool
	Reason  Reason
	Row     int32 // deciding row (0-based), -1 when no row decided
	Alt     int32 // 0 for the row's own pattern, k for its twin behind trunk code k-1
	Length  int32 // keys in the normalized number
	Dropped int32 // separators dropped by normalization
	Bad     int32 // byte offset of the first invalid byte, -1 when valid
}

// deadDFA stands in for the first automaton when a table starts with a
// regex row, so the scanning loop has no branch.
var deadDFA = &dfa{trans: make([]int32, 2*stride), acc: []int32{-1, -1}}

// Match checks a dialed number (raw bytes, separators allowed) against t.
// It normalizes, checks min/max digits and finds the deciding row in one
// pass over the number, whatever the number of rows. It does not allocate
// unless the table has regex rows.
func (t *Table) Match(number []byte) Result { return match(t, number) }

// MatchString is Match for a string.
func (t *Table) MatchString(number string) Result { return match(t, number) }

// MatchBatch matches numbers[i] into out[i] for every i < min(len(numbers), len(out)).
func (t *Table) MatchBatch(numbers [][]byte, out []Result) {
	for i := range min(len(numbers), len(out)) {
		out[i] = match(t, numbers[i])
	}
}

// MatchLines matches the newline-separated numbers of buf (a trailing \r
// is a separator and dropped) into out, in order, and returns how many it
// matched: the whole buffer, or as many as out holds. This is the batch
// form the wasm module exports: one crossing for many numbers.
func (t *Table) MatchLines(buf []byte, out []Result) int {
	n := 0
	for len(buf) > 0 && n < len(out) {
		line := buf
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			line, buf = buf[:i], buf[i+1:]
		} else {
			buf = nil
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		out[n] = match(t, line)
		n++
	}
	return n
}

func match[S string | []byte](t *Table, number S) Result {
	r := Result{Row: -1, Bad: -1}
	d := deadDFA
	if t.segs[0].dfa != nil {
		d = t.segs[0].dfa
	}
	trans := d.trans
	s := int32(1)
	n := 0
	for i := 0; i < len(number); i++ {
		k := byteClass[number[i]]
		if k < 0 {
			if k == clsSep {
				r.Dropped++
				continue
			}
			r.Reason, r.Bad = ReasonInvalid, int32(i)
			return r
		}
		n++
		s = trans[s<<4|int32(k)]
	}
	r.Length = int32(n)
	switch {
	case n < t.minDigits:
		r.Reason = ReasonTooShort
		return r
	case n > t.maxDigits:
		r.Reason = ReasonTooLong
		return r
	}
	rest := t.segs
	if t.segs[0].dfa != nil {
		if u := t.winner(d, s, n); u >= 0 {
			return t.decide(r, u)
		}
		rest = t.segs[1:]
	}
	for _, seg := range rest {
		if seg.dfa != nil {
			s = 1
			for i := 0; i < len(number); i++ {
				if k := byteClass[number[i]]; k >= 0 {
					s = seg.dfa.trans[s<<4|int32(k)]
				}
			}
			if u := t.winner(seg.dfa, s, n); u >= 0 {
				return t.decide(r, u)
			}
			continue
		}
		if ok, alt, err := matchRegex(t, seg, number); err != nil {
			r.Reason, r.Row, r.Allowed = ReasonTimeout, seg.row, false
			return r
		} else if ok {
			r.Reason, r.Row, r.Alt = ReasonMatched, seg.row, alt
			r.Allowed = !t.rows[seg.row].Blocked
			return r
		}
	}
	r.Reason = ReasonNoMatch
	r.Allowed = !t.noMatchBlocked
	return r
}

// winner returns the deciding unit (index into t.units) in state s after
// n keys, or -1.
func (t *Table) winner(d *dfa, s int32, n int) int32 {
	if !t.closest {
		u := d.acc[s]
		if u < 0 {
			return -1
		}
		return d.unitBase + u
	}
	best := int32(-1)
	var bestCount float64
	w := t.maxDigits + 1
	for _, u := range d.accList[d.accOff[s]:d.accOff[s+1]] {
		c := t.counts[int(d.unitBase+u)*w+n]
		if best < 0 || c < bestCount {
			best, bestCount = d.unitBase+u, c
		}
	}
	return best
}

func (t *Table) decide(r Result, u int32) Result {
	un := &t.units[u]
	r.Reason, r.Row, r.Alt = ReasonMatched, un.row, un.alt
	r.Allowed = !t.rows[un.row].Blocked
	return r
}

// matchRegex runs a regex row on the normalized number, then, for a blocked
// row, on the number with each trunk access code taken off its front (the
// twin CODE+P of a regular expression P). Length was checked, so the
// normalized number fits the stack buffer.
func matchRegex[S string | []byte](t *Table, seg segment, number S) (bool, int32, error) {
	var buf [MaxDigitsLimit]byte
	norm := buf[:0]
	for i := 0; i < len(number); i++ {
		if byteClass[number[i]] >= 0 {
			norm = append(norm, number[i])
		}
	}
	str := string(norm)
	ok, err := seg.re.MatchString(str)
	if err != nil || ok {
		return ok, 0, err
	}
	if !t.rows[seg.row].Blocked {
		return false, 0, nil
	}
	for k, code := range t.trunk {
		if len(str) >= len(code) && str[:len(code)] == code {
			ok, err := seg.re.MatchString(str[len(code):])
			if err != nil || ok {
				return ok, int32(k + 1), err
			}
		}
	}
	return false, 0, nil
}
