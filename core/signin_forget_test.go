package core

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestForgetAtProperties: random policies and event sequences. Whenever
// ForgetAt says a state may be forgotten from time f, every kind of event
// at f or later decides exactly as it does on a new account (the zero
// state); a state is never forgettable while locked until an
// administrator unlocks, before a timed lockout ends, or inside the
// failure counter's window.
func TestForgetAtProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 14))
	seen := map[string]int{}
	for seq := 0; seq < 3000; seq++ {
		r, a := randomPolicy(rng)
		var s SignInState
		now := t0
		for step := 0; step < 40; step++ {
			now = now.Add(randomGap(rng, &r))
			s, _ = SignIn(&r, &a, s, randomEvent(rng, now))
			f, ok := s.ForgetAt(&r, &a)
			switch {
			case s.Locked && adminUnlockOnly(&r):
				if ok {
					t.Fatalf("an account an administrator must unlock is forgettable: %+v under %+v", s, r)
				}
				seen["admin lock kept"]++
			case s.Locked:
				if ok && f.Before(s.LockedAt.Add(minutes(r.LockoutMinutes))) {
					t.Fatalf("forgettable at %v, before the lockout ends: %+v", f, s)
				}
			case s.Failures > 0:
				if ok && f.Before(s.LastFailure.Add(minutes(r.ResetFailedMinutes))) {
					t.Fatalf("forgettable at %v, inside the failure window: %+v", f, s)
				}
			}
			if !ok {
				seen["kept"]++
				continue
			}
			seen["forgettable"]++
			if s != (SignInState{}) {
				seen["forgettable, not zero"]++
			}
			// Any event at f, at f plus a little or much later, and at now
			// when f has already passed.
			for _, when := range []time.Time{f, f.Add(time.Second), f.Add(time.Duration(rng.IntN(400*24)) * time.Hour), now} {
				if when.Before(f) {
					continue
				}
				for typ := EventType(0); typ < NumEventTypes; typ++ {
					for _, okEv := range []bool{false, true} {
						e := randomEvent(rng, when)
						e.Type, e.OK = typ, okEv
						_, got := SignIn(&r, &a, s, e)
						_, want := SignIn(&r, &a, SignInState{}, e)
						if got != want {
							t.Fatalf("state %+v forgettable from %v, but %s at %v decides %+v, a new account %+v (rule %+v, account %+v)",
								s, f, typ, when, got, want, r, a)
						}
					}
				}
			}
		}
	}
	for _, k := range []string{"admin lock kept", "kept", "forgettable", "forgettable, not zero"} {
		if seen[k] < 100 {
			t.Errorf("the sequences exercised %q only %d times", k, seen[k])
		}
	}
}

// TestForgetAtWindows: the times ForgetAt gives under the cuc profile.
func TestForgetAtWindows(t *testing.T) {
	p, err := Profile("cuc")
	if err != nil {
		t.Fatal(err)
	}
	r, a := &p.PIN.CredentialRule, &p.Account
	for _, c := range []struct {
		name string
		s    SignInState
		at   time.Time
		ok   bool
	}{
		{"new", SignInState{}, time.Time{}, true},
		{"one failure", SignInState{Failures: 1, LastFailure: t0}, t0.Add(minutes(r.ResetFailedMinutes)), true},
		{"locked", SignInState{Failures: 3, LastFailure: t0, Locked: true, LockedAt: t0}, t0.Add(minutes(r.LockoutMinutes)), true},
		{"must change", SignInState{MustChange: true}, time.Time{}, false},
		{"open session", SignInState{Sessions: [NumInterfaces]int{1, 0, 0}}, time.Time{}, a.MaxSessionsTelephony == 0},
		{"open web session (no cap)", SignInState{Sessions: [NumInterfaces]int{0, 0, 2}}, time.Time{}, true},
		{"inactive", SignInState{Inactive: true}, time.Time{}, false},
	} {
		at, ok := c.s.ForgetAt(r, a)
		if at != c.at || ok != c.ok {
			t.Errorf("%s: ForgetAt = %v, %v; want %v, %v", c.name, at, ok, c.at, c.ok)
		}
	}
	admin := *r
	admin.AdminMustUnlock, admin.LockoutMinutes = true, 0
	if _, ok := (&SignInState{Failures: 3, Locked: true, LockedAt: t0}).ForgetAt(&admin, a); ok {
		t.Error("a lock an administrator must lift is forgettable")
	}
}
