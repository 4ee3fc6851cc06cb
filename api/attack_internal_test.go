// The attack findings this package guards from the inside (its unexported
// interrupt and caps); attack_test.go holds the ones seen from outside.

package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// Regression tests for the findings of the attack on tollgate (issue 14)
// that this package guards, one per finding and named after it. The
// threat model and the limits are in docs/security.md.

// TestAttackHashVerifyFreezesServe (issue 14 item 1): the session's long
// work polls the host's interrupt and stops when it fires, answering the
// error code interrupted; and a history's PBKDF2 records may not ask for
// more than MaxRequestIterations together.
func TestAttackHashVerifyFreezesServe(t *testing.T) {
	atCap := `{PBKDF2-SHA512}1000000$AAAAAAAAAAAAAAAAAAAAAA$` + strings.Repeat("A", 86)
	big := `{"tables":[{"name":"T","rows":[`
	var rows []string
	for i := range 20_000 {
		rows = append(rows, `{"pattern":"9`+strconv.Itoa(1000000+i*7)+`*"}`)
	}
	big += strings.Join(rows, ",") + `,{"pattern":"*"}]}]}`
	for _, c := range []struct{ op, req string }{
		{"hash.verify", `{"record":"` + atCap + `","secret":"x"}`},
		{"hash.make", `{"scheme":"{PBKDF2-SHA512}","secret":"x","iterations":1000000}`},
		{"pin", `{"pin":"739164","context":{"previous_records":["` + atCap + `"]}}`},
		{"password", `{"password":"Tr0ub4dor&3x!","context":{"previous_records":["` + atCap + `"]}}`},
		{"tables.load", big},
		{"dial", `{"tables":` + big + `,"number":"91"}`},
		{"lint", `{"tables":` + big + `}`},
	} {
		polls := 0
		s := NewSessionWithOptions(SessionOptions{Interrupt: func() bool { polls++; return polls >= 2 }})
		resp, err := s.Do(c.op, []byte(c.req), nil)
		var e *Error
		if !errors.As(err, &e) || e.Code != ErrInterrupted || !bytes.Contains(resp, []byte(`"code":"interrupted"`)) || polls < 2 {
			t.Errorf("%s: %s (%v) after %d polls; want interrupted", c.op, resp, err, polls)
		}
		// The session is whole: the next operation answers.
		if _, err := s.Do("pin", []byte(`{"pin":"135792"}`), nil); err != nil {
			t.Errorf("%s: the next operation: %v", c.op, err)
		}
	}
	// A call's context stops it the same way.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp, err := Do(ctx, NewSession(), "hash.verify", []byte(`{"record":"`+atCap+`","secret":"x"}`), nil)
	if e, ok := err.(*Error); !ok || e.Code != ErrInterrupted {
		t.Errorf("hash.verify with a cancelled context: %s (%v)", resp, err)
	}
	// Sixteen records at the cap under a history of 25 ask for 16 000 000
	// iterations together: refused before any is tried.
	recs := strings.Repeat(`"`+atCap+`",`, 16)
	req := `{"policy":{"pin":{"history":25}},"pin":"739164","context":{"previous_records":[` + strings.TrimSuffix(recs, ",") + `]}}`
	resp, err = NewSession().Do("pin", []byte(req), nil)
	var e *Error
	if !errors.As(err, &e) || e.Field != "context.previous_records" || !strings.Contains(e.Message, "16000000 iterations together; at most 15000000 per request") {
		t.Errorf("a history over the cap: %s (%v)", resp, err)
	}
}

// TestAttackPBKDF2DefaultIterations (issue 14 item 22): hash.make and the
// rehash hash.verify advises use the request's iterations, else the
// policy's hash.iterations, 600 000 by default.
func TestAttackPBKDF2DefaultIterations(t *testing.T) {
	s := NewSession()
	for _, c := range []struct{ req, prefix string }{
		{`{"scheme":"{PBKDF2-SHA256}","secret":"x"}`, `{"record":"{PBKDF2-SHA256}600000$`},
		{`{"scheme":"{PBKDF2-SHA256}","secret":"x","iterations":20000}`, `{"record":"{PBKDF2-SHA256}20000$`},
		{`{"scheme":"{PBKDF2-SHA256}","secret":"x","policy":{"hash":{"iterations":30000}}}`, `{"record":"{PBKDF2-SHA256}30000$`},
	} {
		if resp, err := s.Do("hash.make", []byte(c.req), nil); err != nil || !bytes.HasPrefix(resp, []byte(c.prefix)) {
			t.Errorf("hash.make %s = %s, %v; want %s...", c.req, resp, err, c.prefix)
		}
	}
	resp, err := s.Do("hash.verify", []byte(`{"record":"{SSHA}hkkk5gJinCou3WFatvIWPlwCa/0+4Dbz","secret":"408408","scheme":"{PBKDF2-SHA256}","policy":{"hash":{"iterations":40000}}}`), nil)
	if err != nil || !bytes.Contains(resp, []byte(`"rehash":"{PBKDF2-SHA256}40000$`)) {
		t.Errorf("hash.verify rehash = %s, %v; want a 40000-iteration record", resp, err)
	}
}

// TestAttackLargeTableFailsOnWasm (issue 14 item 8), the session's part:
// a loaded document is neither copied nor kept by text (its set is kept by
// handle), and the cache of inline documents is bounded by size, not only
// by count, so that distinct inline documents cannot fill an instance.
func TestAttackLargeTableFailsOnWasm(t *testing.T) {
	s := NewSession()
	doc := func(i int) string {
		var rows []string
		for r := range 2000 {
			rows = append(rows, fmt.Sprintf(`{"pattern":"9%d%04d*"}`, i, r))
		}
		return `{"tables":[{"name":"T","rows":[` + strings.Join(rows, ",") + `,{"pattern":"*"}]}]}`
	}
	if _, err := s.Do("tables.load", []byte(doc(0)), nil); err != nil {
		t.Fatal(err)
	}
	if len(s.inlineTables) != 0 {
		t.Errorf("tables.load cached its document by text (%d entries)", len(s.inlineTables))
	}
	for i := range 200 {
		if _, err := s.Do("dial", []byte(`{"tables":`+doc(i)+`,"number":"91"}`), nil); err != nil {
			t.Fatal(err)
		}
		if s.cachedBytes > maxCachedBytes {
			t.Fatalf("after %d inline documents the cache holds %d bytes, over %d", i+1, s.cachedBytes, maxCachedBytes)
		}
	}
}
