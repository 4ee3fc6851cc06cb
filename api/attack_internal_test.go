// The attack findings this package guards from the inside (its unexported
// interrupt and caps); attack_test.go holds the ones seen from outside.

package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
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

// Regression tests for the attack of issue 14 that reach the api itself,
// one per finding, named after it, so that every host (native, wazero,
// Node, the service, the Caddy module) inherits the fix. The threat model
// is docs/security.md. The corpus (testdata/vectors) holds the same cases,
// so the hosts are held to them byte for byte.
// Finding 14: unknown JSON member names were echoed into error bodies and
// logs: a secret sent as a key was logged, and a 1 MB key made a 1 MB log
// line. A key is quoted only when it is a near miss of a known name and
// looks like a field name; any other is named by its length and position.
func TestAttack14UnknownKeysAreNotEchoed(t *testing.T) {
	huge := strings.Repeat("Kx93", 1<<18) // a 1 MiB key
	for _, c := range []struct {
		name, op, req string
		secret        string
		field         string
		msg           string
	}{
		{"a password as a key", "password", `{"password":"x","Tr0ub4dor&3":true}`, "Tr0ub4dor&3", "<11-byte key>", "unknown field; known fields here: policy, password, context"},
		{"a PIN as a context key", "pin", `{"pin":"1","context":{"739164":1}}`, "739164", "context.<6-byte key>", "unknown field; known"},
		{"a 1 MiB key", "dial", `{"number":"1","` + huge + `":0}`, huge[:64], "<1048576-byte key>", "unknown field; known"},
		{"a lower-case word that is no near miss", "pin", `{"pin":"1","hunter":1}`, "hunter", "<6-byte key>", "unknown field; known"},
		{"a key in an event", "signin", `{"event":{"type":"check","at":"2026-03-02T09:00:00Z","S3cret!":1}}`, "S3cret!", "event.<7-byte key>", "unknown field; known"},
		{"a key in the sessions map", "signin", `{"state":{"sessions":{"pa55word":"x"}},"event":{"type":"check","at":"2026-03-02T09:00:00Z"}}`, "pa55word", "state.sessions.<8-byte key>", "want an integer"},
		{"a duplicated secret key in an inline policy", "pin", `{"pin":"1","policy":{"Kx93!":1,"Kx93!":2}}`, "Kx93!", "policy.<5-byte key>", "more than once"},
		{"an unknown key in an inline policy", "pin", `{"pin":"1","policy":{"pin":{"Kx93!x":1}}}`, "Kx93!x", "pin.<6-byte key>", "unknown field"},
		{"an unknown key in inline tables", "dial", `{"number":"1","tables":{"tables":[{"name":"T","Kx93!x":1}]}}`, "Kx93!x", "tables[0].<6-byte key>", "unknown field"},
		// Near misses keep their suggestion (the typed key is not needed).
		{"a near miss in another case", "pin", `{"PIN":"1"}`, "PIN", "<3-byte key>", "did you mean pin?"},
		{"a near miss", "pin", `{"pin":"1","context":{"extentions":[]}}`, "", "context.extentions", "did you mean extensions?"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := NewSession().Do(c.op, []byte(c.req), nil)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("answer %.200s, error %v: want a refusal", out, err)
			}
			if e.Field != c.field || !strings.Contains(e.Message, c.msg) {
				t.Errorf("field %q message %q, want field %q and %q", e.Field, e.Message, c.field, c.msg)
			}
			if c.secret != "" && (bytes.Contains(out, []byte(c.secret)) || strings.Contains(e.Error(), c.secret)) {
				t.Errorf("the answer repeats the key: %.300s", out)
			}
			if len(out) > 1024 {
				t.Errorf("the error answer is %d bytes long", len(out))
			}
		})
	}
}

// Finding 19: missing required fields got answers (dial {} was too_short,
// hash.verify without secret a mismatch). Each op refuses a request that
// lacks the value it checks, or gives it as null, naming the field.
func TestAttack19MissingRequiredFieldsAreRefused(t *testing.T) {
	const at = `"at":"2026-03-02T09:00:00Z"`
	for _, c := range []struct{ op, req, field string }{
		{"pin", `{}`, "pin"},
		{"pin", `{"pin":null,"policy":"cuc"}`, "pin"},
		{"password", `{"context":{"alias":"jdoe"}}`, "password"},
		{"dial", `{}`, "number"},
		{"dial", `{"number":null}`, "number"},
		{"hash.verify", `{"record":"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="}`, "secret"},
		{"hash.verify", `{"secret":"secret"}`, "record"},
		{"hash.make", `{"scheme":"{SHA}"}`, "secret"},
		{"signin", `{}`, "event.type"}, // an absent event is one without a type
		{"signin", `{"event":null}`, "event.type"},
		{"signin", `{"event":{` + at + `}}`, "event.type"},
		{"signin", `{"event":{"type":"check"}}`, "event.at"},
	} {
		out, err := NewSession().Do(c.op, []byte(c.req), nil)
		e, ok := err.(*Error)
		if !ok || e.Code != ErrBadRequest || e.Field != c.field || !strings.HasPrefix(e.Message, "required: ") {
			t.Errorf("%s %s = %s (%v), want bad_request naming %s as required", c.op, c.req, out, err, c.field)
		}
	}
	// An empty value is a value: it gets a verdict, not an error.
	for _, c := range []struct{ op, req, want string }{
		{"pin", `{"pin":""}`, `"code":"too_short"`},
		{"dial", `{"number":""}`, `"reason":"too_short"`},
		{"hash.verify", `{"record":"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=","secret":""}`, `"reason":"mismatch"`},
	} {
		out, err := NewSession().Do(c.op, []byte(c.req), nil)
		if err != nil || !bytes.Contains(out, []byte(c.want)) {
			t.Errorf("%s %s = %s (%v), want an answer with %s", c.op, c.req, out, err, c.want)
		}
	}
}

// Finding 5 (the api's part, a guard rather than a regression test: the
// api always refused these, and the bug was the service re-encoding the
// body through a Go map, internal/server/attack_test.go): a duplicated key
// is refused whatever else the body holds, here with the "policy": null
// that made the service re-encode.
func TestAttack5DuplicateKeysAreRefused(t *testing.T) {
	for _, c := range []struct{ op, req, field string }{
		{"pin", `{"pin":"1","pin":"739164","policy":null}`, "pin"},
		{"pin", `{"policy":null,"pin":"739164","pin":"1"}`, "pin"},
		{"dial", `{"number":"2001","number":"9011442079460000","cos":"x"}`, "number"},
		{"password", `{"password":"a","context":{"alias":"x","alias":"y"},"policy":null}`, "context.alias"},
	} {
		out, err := NewSession().Do(c.op, []byte(c.req), nil)
		e, ok := err.(*Error)
		if !ok || e.Field != c.field || !strings.Contains(e.Message, "more than once") {
			t.Errorf("%s %s = %s, want bad_request: %s appears more than once", c.op, c.req, out, c.field)
		}
	}
}

// Finding 20 (the api's part): a host that keeps sign-in state learns
// from when it may forget it (Session.ForgetAt, natively: the memory
// store of the decision service), and never for a lock only an
// administrator lifts or inside the failure window.
func TestAttack20SessionSaysWhenStateMayBeForgotten(t *testing.T) {
	const at = "2026-03-02T09:00:00Z"
	t0, _ := time.Parse(time.RFC3339, at)
	s := NewSession()
	for _, c := range []struct {
		name, policy, req string
		want              time.Time
		ok                bool
	}{
		{"a first failure, kept for cuc's 30-minute window", `"cuc"`, `{"type":"signin","at":"` + at + `"}`, t0.Add(30 * time.Minute), true},
		{"a check on a new account, at once", `"cuc"`, `{"type":"check","at":"` + at + `"}`, time.Time{}, true},
		{"a third failure, kept for the 30-minute lockout", `"cuc"`, `{"type":"signin","at":"` + at + `"},"state":{"failures":2,"last_failure":"2026-03-02T08:59:00Z"}`, t0.Add(30 * time.Minute), true},
		{"an administrator lock, never", `{"extends":"cuc","pin":{"admin_must_unlock":true}}`, `{"type":"signin","at":"` + at + `"},"state":{"failures":2,"last_failure":"2026-03-02T08:59:00Z"}`, time.Time{}, false},
		{"a sign-in the inactivity rule reads, never", `"cuc-esm"`, `{"type":"signin","ok":true,"interface":"web","at":"` + at + `"}`, time.Time{}, false},
	} {
		out, err := s.Do("signin", []byte(`{"policy":`+c.policy+`,"event":`+c.req+`}`), nil)
		if err != nil {
			t.Fatalf("%s: %s", c.name, out)
		}
		var a SignInResult
		if err := Decode(out, &a); err != nil {
			t.Fatal(err)
		}
		var pol PolicyRef
		if err := json.Unmarshal([]byte(c.policy), &pol); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.ForgetAt(pol, "pin", &a.State)
		if err != nil || ok != c.ok || !got.Equal(c.want) {
			t.Errorf("%s: ForgetAt = %v, %v, %v; want %v, %v", c.name, got, ok, err, c.want, c.ok)
		}
	}
	if _, _, err := s.ForgetAt(PolicyHandle(0), "pin", &SignInState{}); err == nil {
		t.Error("ForgetAt took a handle")
	}
}
