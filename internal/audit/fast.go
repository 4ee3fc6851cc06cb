package audit

import (
	"fmt"
	"strings"
	"sync"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/artifact"
	"github.com/tollgate/tollgate/core/dialplan"
)

// fastPath runs the pin, password and dial checks on the core directly,
// skipping the JSON the api speaks. It is used with the native engine
// only (the wasm engine's boundary is JSON by design), gives the same
// findings (TestFastPathAgrees), and is worth it: the JSON encode and
// decode of three operations per row cost more than the checks themselves
// (docs/performance.md, "Bulk audit").
type fastPath struct {
	pol       *core.Policy
	set       *dialplan.Set
	passwords *core.PasswordList // the committed "passwords" artifact, which the native engine loads too
}

// committedPasswords parses the breached-password list the native engine
// loads by default (tollgate.Data()[0]), once per process.
var committedPasswords = sync.OnceValue(func() *core.PasswordList {
	a, err := artifact.Parse(tollgate.Data()[0])
	if err != nil {
		panic("audit: the committed passwords artifact: " + err.Error())
	}
	l, err := core.ParsePasswordList(a.Payload)
	if err != nil {
		panic("audit: the committed passwords artifact: " + err.Error())
	}
	return l
})

// named is the part of host.Engine that tells the engines apart.
type named interface{ Name() string }

func (c *checker) fastPIN(pin string, u *user, s *rowScratch, out *Record) {
	pc := core.PINContext{Extensions: u.exts, FirstName: u.first, LastName: u.last, DateOfBirth: u.dob, Year: c.cfg.Year}
	c.fast.pol.CheckPIN(pin, &pc, &s.v)
	for _, r := range s.v.Reasons {
		out.add(string(r.Code), FieldPIN, s.message(r))
	}
}

func (c *checker) fastPassword(pw string, u *user, s *rowScratch, out *Record) {
	pc := core.PasswordContext{Alias: u.alias, Extensions: u.exts, Breached: c.fast.passwords}
	c.fast.pol.CheckPassword(pw, &pc, &s.v)
	for _, r := range s.v.Reasons {
		out.add(string(r.Code), FieldPassword, s.message(r))
	}
}

// msgKey is what a message depends on (core.Message reads no span).
type msgKey struct {
	code   core.Code
	limit  int
	detail string
}

// message is core.Message, remembered per worker: rendering builds a
// strings.Replacer each time, which cost more than the PIN check.
func (s *rowScratch) message(r core.Reason) string {
	k := msgKey{r.Code, r.Limit, r.Detail}
	if m, ok := s.msgs[k]; ok {
		return m
	}
	if s.msgs == nil || len(s.msgs) > 1024 {
		s.msgs = map[msgKey]string{}
	}
	m := core.Message(r)
	s.msgs[k] = m
	return m
}

func (c *checker) fastDial(nc numberColumn, number, cos string, out *Record) {
	var t *dialplan.Table
	if len(c.cos) == 0 {
		t = c.fast.set.DefaultTable()
	} else {
		var err error
		if t, err = c.fast.set.ForFeature(cos, nc.feature); err != nil {
			out.add(CodeCheckFailed, nc.field, "the dial check could not run: "+err.Error())
			return
		}
	}
	r := t.MatchString(number)
	if r.Allowed {
		return
	}
	out.add(CodeBlockedNumber, nc.field, blockedMessage(t.Name(), r.Reason.String(), int(r.Row), t.Pattern(r)))
}

// blockedMessage says which table, row and pattern refuse a number.
func blockedMessage(table, reason string, row int, pattern string) string {
	switch reason {
	case "matched":
		return fmt.Sprintf("the restriction table %q would refuse this number: row %d, pattern %s", table, row, pattern)
	case "too_short", "too_long":
		return fmt.Sprintf("the restriction table %q would refuse this number: %s for the table's digit limits", table, strings.ReplaceAll(reason, "_", " "))
	}
	return fmt.Sprintf("the restriction table %q would refuse this number: %s", table, reason)
}
