package auditcore

import (
	"context"
	"errors"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/credential"
	"github.com/tollgate/tollgate/export"
)

// Recovering trivial PINs from stored records is a brute-force loop, so
// it runs natively on credential.Record (parsed once per row, verified
// many times) whatever engine the other checks use.
//
// Two kinds of candidates are tried. The row's own (its extensions and
// their reverses, the dial-by-name digits of the names, the date of birth
// written eight ways) are verified one by one. The fixed list (the
// blocklist's shapes) is, for unsalted schemes, hashed once per scheme
// into a dictionary keyed by a per-run maphash of the record, so a row
// costs one lookup plus one constant-time Verify to confirm a hit. Salted
// records must verify candidates one by one, so they get the head of the
// list (its most common entries), and PBKDF2 records, at milliseconds per
// verification, a shorter head; --exhaustive covers the rest.
const (
	saltedListLimit = 64
	pbkdf2ListLimit = PBKDF2ListLimit
)

// PBKDF2ListLimit is how many of the fixed list's candidates a PBKDF2
// record is tried with.
const PBKDF2ListLimit = 24

type recoverer struct {
	fips       bool
	exhaustive bool
	interrupt  func() bool // Config.Interrupt
	minLen     int         // exhaustive search: PIN lengths minLen..maxLen
	maxLen     int

	pinList, pwList []string
	seed            maphash.Seed
	mu              sync.Mutex
	dicts           map[dictKey]map[uint64]int32
}

type dictKey struct {
	s   credential.Scheme
	pin bool
}

// recScratch is one worker's candidate buffer.
type recScratch struct {
	cands []string
	digit []byte
}

func newRecoverer(p *core.Policy, fips, exhaustive bool, interrupt func() bool) *recoverer {
	r := &recoverer{fips: fips, exhaustive: exhaustive, interrupt: interrupt, seed: maphash.MakeSeed(), dicts: map[dictKey]map[uint64]int32{}}
	r.minLen, r.maxLen = searchLengths(p)
	r.pinList = pinList()
	r.pwList = strings.Fields(commonPasswordCandidates)
	return r
}

// checkHash audits one stored record: its scheme under FIPS, then whether
// it is the hash of a trivial PIN or password.
func (c *Core) checkHash(ctx context.Context, field export.Field, rec string, u *user, s *Scratch, out *Record) {
	r, err := credential.Parse(rec)
	if err != nil {
		var ce *credential.Error
		if errors.As(err, &ce) {
			code := CodeMalformed
			if ce.Reason == credential.UnknownScheme {
				code = CodeUnknownScheme
			}
			// credential errors never hold the record's content.
			out.Add(code, field, "the stored record cannot be read: "+ce.Msg)
		}
		return
	}
	if !r.Scheme().FIPS() {
		if c.recover.fips {
			out.Add(CodeFIPSLegacyHash, field, r.Scheme().String()+" record: FIPS mode cannot verify it, so this user cannot sign in; reset the credential")
		} else {
			out.Add(CodeFIPSLegacyHash, field, r.Scheme().String()+" record: FIPS mode would lock this user out; reset the credential before enabling it")
		}
	}
	pin := field == export.PINHash
	what := "PIN"
	if !pin {
		what = "password"
	}
	if r.Iterations() > 0 && c.cfg.PBKDF2 != nil {
		c.cfg.PBKDF2(out.Line, r, len(c.recover.candidates(pin, u, &s.rec))+min(pbkdf2ListLimit, len(c.recover.list(pin))))
	}
	if c.recover.tryCandidates(ctx, r, rec, pin, u, &s.rec) {
		out.Add(CodeRecoveredTrivial, field, "the stored "+what+" is a trivial one, found among the user's own data and the blocklist; reset it")
		return
	}
	if !pin || !c.recover.exhaustive {
		return
	}
	found, ok := c.recover.search(ctx, r, &s.rec)
	if !ok {
		return
	}
	// Check the recovered PIN against the policy, then forget it.
	var tmp Record
	c.checkPIN(ctx, field, found, u, s, &tmp)
	clear(s.rec.digit)
	if len(tmp.Findings) > 0 && tmp.Findings[0].Code != CodeCheckFailed {
		out.Add(CodeRecoveredTrivial, field, "the stored PIN, found by trying every PIN of the policy's lengths, breaks the policy; reset it")
	} else {
		out.Add(CodeRecoveredPIN, field, "the stored PIN was found by trying every PIN of the policy's lengths: this record does not protect it; reset it and store a salted PBKDF2 record")
	}
}

// candidates returns the row's own candidates, in s.cands.
func (rc *recoverer) candidates(pin bool, u *user, s *recScratch) []string {
	if pin {
		s.cands = pinCandidates(s.cands[:0], u)
	} else {
		s.cands = passwordCandidates(s.cands[:0], u)
	}
	return s.cands
}

// list is the fixed candidate list for PINs or passwords.
func (rc *recoverer) list(pin bool) []string {
	if pin {
		return rc.pinList
	}
	return rc.pwList
}

// tryCandidates reports whether r is the record of one of the row's
// candidates or of the fixed list. A salted record is verified candidate
// by candidate, each a PBKDF2 derivation for PBKDF2 records (up to
// seconds), so an interrupt (ctx) is seen between two: the answer is then
// false, and the row's batch is dropped (pipeline).
func (rc *recoverer) tryCandidates(ctx context.Context, r *credential.Record, rec string, pin bool, u *user, s *recScratch) bool {
	slow := r.Iterations() > 0
	// A PBKDF2 derivation is polled inside too: one may take seconds in
	// the module, where nothing else would stop it.
	verify := r.Verify
	if slow {
		stop := func() bool { return rc.stopped(ctx) }
		verify = func(cand string) bool {
			ok, err := r.VerifyInterrupt(cand, stop)
			return ok && err == nil
		}
	}
	for _, cand := range rc.candidates(pin, u, s) {
		if slow && rc.stopped(ctx) {
			return false
		}
		if verify(cand) {
			return true
		}
	}
	list := rc.list(pin)
	sc := r.Scheme()
	if !sc.Salted() {
		d := rc.dict(sc, pin, list)
		i, hit := d[maphash.String(rc.seed, canonicalRecord(rec))]
		return hit && r.Verify(list[i])
	}
	limit := saltedListLimit
	if r.Iterations() > 0 {
		limit = pbkdf2ListLimit
	}
	list = list[:min(limit, len(list))]
	for _, cand := range list {
		if slow && rc.stopped(ctx) {
			return false
		}
		if verify(cand) {
			return true
		}
	}
	return false
}

// dict returns the dictionary of the fixed list under unsalted scheme sc.
func (rc *recoverer) dict(sc credential.Scheme, pin bool, list []string) map[uint64]int32 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	k := dictKey{sc, pin}
	if d, ok := rc.dicts[k]; ok {
		return d
	}
	d := make(map[uint64]int32, len(list))
	for i, cand := range list {
		rec, err := credential.Make(sc, cand, nil)
		if err == nil {
			d[maphash.String(rc.seed, canonicalRecord(rec))] = int32(i)
		}
	}
	rc.dicts[k] = d
	return d
}

// canonicalRecord folds the case differences a record may be written
// with: the braced label's case, and the whole of a hex record.
func canonicalRecord(rec string) string {
	if strings.HasPrefix(rec, "{") {
		if end := strings.IndexByte(rec, '}'); end > 0 {
			return strings.ToUpper(rec[:end]) + rec[end:]
		}
		return rec
	}
	return strings.ToLower(rec)
}

// search tries every PIN of minLen..maxLen digits and returns the one r
// stores. The returned string aliases s.digit: the caller clears it.
func (rc *recoverer) search(ctx context.Context, r *credential.Record, s *recScratch) (string, bool) {
	for n := rc.minLen; n <= rc.maxLen; n++ {
		if cap(s.digit) < n {
			s.digit = make([]byte, 8)
		}
		d := s.digit[:n]
		for i := range d {
			d[i] = '0'
		}
		for k := 0; ; k++ {
			if k&4095 == 0 && rc.stopped(ctx) {
				return "", false
			}
			// Verify does not keep its argument, so the digits are lent
			// without a copy (and without an allocation per candidate).
			cand := unsafe.String(&d[0], n)
			if r.Verify(cand) {
				return cand, true
			}
			i := n - 1
			for i >= 0 && d[i] == '9' {
				d[i] = '0'
				i--
			}
			if i < 0 {
				break
			}
			d[i]++
		}
	}
	return "", false
}

// searchSize is how many PINs an exhaustive search tries at most.
func (rc *recoverer) searchSize() float64 { return searchSize(rc.minLen, rc.maxLen) }

// searchLengths are the PIN lengths an exhaustive search under p tries:
// the policy's, up to 8 digits.
func searchLengths(p *core.Policy) (minLen, maxLen int) {
	if p == nil {
		return 4, 8
	}
	minLen = max(p.PIN.MinLength, 1)
	return minLen, min(max(p.PIN.MaxLength, minLen), 8)
}

// searchSize is how many PINs of minLen..maxLen digits there are.
func searchSize(minLen, maxLen int) float64 {
	n := 0.0
	p := 1.0
	for i := 1; i <= maxLen; i++ {
		p *= 10
		if i >= minLen {
			n += p
		}
	}
	return n
}

// pinCandidates appends the row's own trivial PINs.
func pinCandidates(c []string, u *user) []string {
	for _, e := range u.exts {
		if e == "" || !allDigits(e) {
			continue
		}
		c = append(c, e, reverse(e))
		for _, k := range []int{4, 5, 6} {
			if len(e) > k {
				c = append(c, e[len(e)-k:])
			}
		}
	}
	first, last := core.NameDigits(u.first), core.NameDigits(u.last)
	for _, n := range []string{first, last, first + last, last + first} {
		if len(n) >= 3 {
			c = append(c, n)
		}
	}
	if len(u.dob) == 10 {
		y, m, d := u.dob[0:4], u.dob[5:7], u.dob[8:10]
		yy := y[2:]
		c = append(c, y+m+d, m+d+y, d+m+y, m+d+yy, d+m+yy, yy+m+d, m+d, d+m, y, m+y, d+m+y[2:])
	}
	slices.Sort(c)
	return slices.Compact(c)
}

// passwordCandidates appends the row's own trivial passwords.
func passwordCandidates(c []string, u *user) []string {
	for _, w := range []string{u.alias, u.first, u.last, u.first + u.last, u.first + "." + u.last} {
		if len(w) < 3 {
			continue
		}
		lw := strings.ToLower(w)
		c = append(c, w, lw, reverse(w), lw+"1", lw+"123", strings.ToUpper(lw[:1])+lw[1:]+"1")
	}
	for _, e := range u.exts {
		c = append(c, e, reverse(e))
	}
	slices.Sort(c)
	return slices.Compact(c)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func reverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

// pinList is the fixed candidate list, most likely first (PBKDF2 records
// try only the head): the iOS blocklist entries core's `common` rule is
// built from, then the whole-PIN shapes it refuses at every length from
// 4 to 8 (one digit throughout, a run of the digit ring either way, a
// group of two or three digits repeated).
func pinList() []string {
	l := strings.Fields("1234 123456 0000 1111 111111 000000 12345678 2580 1212 7777 " +
		"1004 4321 654321 121212 123123 112233 159753 147258 520131 030379 101471 " +
		"0102 0103 0110 0111 0123 1101 1102 1103 1110 1112 1123 1201 1202 1203 1210 1211 " +
		"2229 5683 7465 7667 012345 098765 123654 234567 321654 345678 456789 543210 " +
		"765432 789456 876543 987654 2468 1357 1379 3690 1470 0852 147852 258963 " +
		"87654321 11223344 12341234 11112222 1122 6969 2000 2001 1010 1313 1998 1999")
	for n := 4; n <= 8; n++ {
		for d := byte('0'); d <= '9'; d++ {
			same := make([]byte, n)
			up := make([]byte, n)
			down := make([]byte, n)
			for i := range n {
				same[i] = d
				up[i] = '0' + (d-'0'+byte(i))%10
				down[i] = '0' + (d-'0'+10-byte(i%10))%10
			}
			l = append(l, string(same), string(up), string(down))
		}
		for g := 10; g < 1000; g++ {
			w := 2
			if g >= 100 {
				w = 3
			}
			grp := []byte{byte('0' + g/100%10), byte('0' + g/10%10), byte('0' + g%10)}[3-w:]
			if n < 2*w {
				continue
			}
			b := make([]byte, n)
			for i := range b {
				b[i] = grp[i%w]
			}
			l = append(l, string(b))
		}
	}
	// Keep the first occurrence of each, so the order stays meaningful.
	seen := make(map[string]bool, len(l))
	out := l[:0]
	for _, p := range l {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// commonPasswordCandidates are the defaults and first guesses an
// administrator or a template leaves behind.
const commonPasswordCandidates = "password Password Password1 Password123 P@ssw0rd Passw0rd " +
	"changeme Changeme1 ChangeMe123 welcome Welcome1 Welcome123 cisco Cisco Cisco123 " +
	"cisco123 Cisco@123 admin Admin123 letmein qwerty qwerty123 12345678 123456789 " +
	"iloveyou Summer2024 Winter2024 Spring2025 Summer2025 Autumn2025 Winter2025 " +
	"voicemail Voicemail1 unity Unity123 default Default1 Aa123456 Abc12345"
