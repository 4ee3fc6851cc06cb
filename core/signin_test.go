package core

import (
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

type step struct {
	e    SignInEvent
	code SignInCode
	// optional checks
	failures int // -1: not checked
	locked   bool
	reset    bool
}

func runSteps(t *testing.T, name string, r CredentialRule, a AccountPolicy, s SignInState, steps []step) SignInState {
	t.Helper()
	for i, st := range steps {
		var d SignInDecision
		s, d = SignIn(&r, &a, s, st.e)
		if d.Code != st.code {
			t.Fatalf("%s: step %d (%s at +%v): code %s, want %s", name, i, st.e.Type, st.e.At.Sub(t0), d.Code, st.code)
		}
		if st.failures >= 0 && s.Failures != st.failures {
			t.Fatalf("%s: step %d: failures %d, want %d", name, i, s.Failures, st.failures)
		}
		if d.Locked != st.locked || s.Locked != st.locked {
			t.Fatalf("%s: step %d: locked %v, want %v", name, i, d.Locked, st.locked)
		}
		if d.ResetCredential != st.reset {
			t.Fatalf("%s: step %d: reset_credential %v, want %v", name, i, d.ResetCredential, st.reset)
		}
	}
	return s
}

func fail(d time.Duration) SignInEvent { return SignInEvent{Type: EventSignIn, At: at(d)} }
func good(d time.Duration) SignInEvent { return SignInEvent{Type: EventSignIn, At: at(d), OK: true} }

func TestSignInCUCLockout(t *testing.T) {
	p, err := Profile("cuc")
	if err != nil {
		t.Fatal(err)
	}
	r, a := p.PIN.CredentialRule, p.Account // 3 failures lock 30 min; counter resets after 30 min
	runSteps(t, "cuc", r, a, SignInState{}, []step{
		{fail(0), SignInFailed, 1, false, false},
		{fail(time.Minute), SignInFailed, 2, false, false},
		{fail(31 * time.Minute), SignInFailed, 1, false, false}, // window passed since the last failure
		{fail(32 * time.Minute), SignInFailed, 2, false, false},
		{fail(33 * time.Minute), SignInFailed, 3, true, false}, // third failure locks
		{good(40 * time.Minute), SignInLocked, 3, true, false}, // right PIN, still locked
		{fail(62 * time.Minute), SignInLocked, 3, true, false}, // not counted, lock not extended
		{good(63 * time.Minute), SignInOK, 0, false, false},    // 30 minutes after the lock
		{SignInEvent{Type: EventCheck, At: at(64 * time.Minute)}, SignInOK, 0, false, false},
	})
}

func TestSignInAdminMustUnlock(t *testing.T) {
	r := CredentialRule{FailedLimit: 2, AdminMustUnlock: true}
	runSteps(t, "admin", r, AccountPolicy{}, SignInState{}, []step{
		{fail(0), SignInFailed, 1, false, false},
		{fail(1), SignInFailed, 2, true, false},
		{good(1000 * 24 * time.Hour), SignInLocked, 2, true, false},
		{SignInEvent{Type: EventChange, At: at(1001 * 24 * time.Hour)}, SignInLocked, 2, true, false}, // user cannot change
		{SignInEvent{Type: EventUnlock, At: at(1002 * 24 * time.Hour)}, SignInUnlocked, 0, false, false},
		{good(1003 * 24 * time.Hour), SignInOK, 0, false, false},
	})
	// Unified CM: a lockout duration of 0 means an administrator unlocks.
	r = CredentialRule{FailedLimit: 1}
	runSteps(t, "cucm 0", r, AccountPolicy{}, SignInState{}, []step{
		{fail(0), SignInFailed, 1, true, false},
		{good(365 * 24 * time.Hour), SignInLocked, 1, true, false},
	})
}

func TestSignInExchangeReset(t *testing.T) {
	p, err := Profile("exchange-um")
	if err != nil {
		t.Fatal(err)
	}
	r := p.PIN.CredentialRule // reset after 5, lockout at 15
	if r.ResetAfterFailures != 5 || r.FailedLimit != 15 {
		t.Fatalf("exchange-um profile: reset %d lockout %d", r.ResetAfterFailures, r.FailedLimit)
	}
	var s SignInState
	var d SignInDecision
	for i := 1; i <= 15; i++ {
		s, d = SignIn(&r, &p.Account, s, fail(time.Duration(i)*time.Hour))
		if d.ResetCredential != (i == 5) {
			t.Fatalf("failure %d: reset_credential %v", i, d.ResetCredential)
		}
		if d.Locked != (i == 15) {
			t.Fatalf("failure %d: locked %v", i, d.Locked)
		}
		if d.Remaining != 15-i {
			t.Fatalf("failure %d: remaining %d", i, d.Remaining)
		}
	}
	if !d.AdminMustUnlock || !s.MustChange {
		t.Fatalf("after 15 failures: %+v, state %+v", d, s)
	}
	// The administrator resets the PIN: unlocked, and it must be changed.
	s, d = SignIn(&r, &p.Account, s, SignInEvent{Type: EventChange, At: at(20 * time.Hour), ByAdmin: true, MustChange: true})
	if d.Code != SignInChanged || s.Locked || s.Failures != 0 {
		t.Fatalf("admin reset: %+v %+v", d, s)
	}
	_, d = SignIn(&r, &p.Account, s, good(21*time.Hour))
	if d.Code != SignInMustChange || !d.MustChange || !d.Allowed {
		t.Fatalf("sign-in after reset: %+v", d)
	}
}

func TestSignInExpiryAndChange(t *testing.T) {
	r := CredentialRule{ExpiryDays: 60, MinChangeMinutes: 24 * 60}
	s := SignInState{ChangedAt: t0}
	runSteps(t, "expiry", r, AccountPolicy{}, s, []step{
		{good(59 * 24 * time.Hour), SignInOK, 0, false, false},
		{SignInEvent{Type: EventChange, At: at(59*24*time.Hour + time.Hour)}, SignInChanged, 0, false, false},
		{SignInEvent{Type: EventChange, At: at(59*24*time.Hour + 2*time.Hour)}, SignInChangeTooSoon, 0, false, false},
		{SignInEvent{Type: EventChange, At: at(60*24*time.Hour + time.Hour)}, SignInChanged, 0, false, false},
		{good(120*24*time.Hour + time.Hour), SignInExpired, 0, false, false},
		// expired: the forced change is allowed at once, twice
		{SignInEvent{Type: EventRequireChange, At: at(120*24*time.Hour + 2*time.Hour)}, SignInChangeRequired, 0, false, false},
		{SignInEvent{Type: EventChange, At: at(120*24*time.Hour + 3*time.Hour)}, SignInChanged, 0, false, false},
		{good(120*24*time.Hour + 4*time.Hour), SignInOK, 0, false, false},
		{SignInEvent{Type: EventChange, At: at(120*24*time.Hour + 5*time.Hour), ByAdmin: true, MustChange: true}, SignInChanged, 0, false, false},
		{good(120*24*time.Hour + 6*time.Hour), SignInMustChange, 0, false, false},
		// a forced change ignores the minimum time
		{SignInEvent{Type: EventChange, At: at(120*24*time.Hour + 7*time.Hour)}, SignInChanged, 0, false, false},
	})
}

func TestSignInInactivityAndSessions(t *testing.T) {
	p, err := Profile("cuc-esm")
	if err != nil {
		t.Fatal(err)
	}
	r, a := p.Password.CredentialRule, p.Account // inactivity 90 days; telephony 2, IMAP 5
	tel := func(d time.Duration) SignInEvent { e := good(d); e.Interface = Telephony; return e }
	out := SignInEvent{Type: EventSignOut, At: at(3 * time.Minute), Interface: Telephony}
	s := runSteps(t, "esm", r, a, SignInState{}, []step{
		{tel(0), SignInOK, 0, false, false},
		{tel(time.Minute), SignInOK, 0, false, false},
		{tel(2 * time.Minute), SignInTooManySessions, 0, false, false},
		{out, SignInSignedOut, 0, false, false},
		{tel(4 * time.Minute), SignInOK, 0, false, false},
	})
	if s.Sessions[Telephony] != 2 {
		t.Fatalf("telephony sessions %d", s.Sessions[Telephony])
	}
	s.Sessions = [NumInterfaces]int{}
	runSteps(t, "inactive", r, a, s, []step{
		{SignInEvent{Type: EventCheck, At: at(90*24*time.Hour + 4*time.Minute)}, SignInInactive, 0, false, false},
		{good(91 * 24 * time.Hour), SignInInactive, 0, false, false},
		{SignInEvent{Type: EventActivate, At: at(92 * 24 * time.Hour)}, SignInActivated, 0, false, false},
		{good(92*24*time.Hour + time.Minute), SignInOK, 0, false, false},
	})
}

func TestSignInNoLimit(t *testing.T) {
	r := CredentialRule{} // failed_limit 0: no lockout at all
	var s SignInState
	var d SignInDecision
	for i := 0; i < 1000; i++ {
		s, d = SignIn(&r, &AccountPolicy{}, s, fail(time.Duration(i)*time.Second))
		if d.Locked || d.Remaining != -1 {
			t.Fatalf("failure %d: %+v", i, d)
		}
	}
}

// TestSignInProperties drives random event sequences through random
// policies and checks the invariants the issue names against a shadow
// model of what must have happened.
func TestSignInProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2026))
	seen := map[string]int{} // what the sequences exercised, so the properties are not vacuous
	defer func() {
		for _, k := range []string{"lockout", "timed unlock", "admin lock held", "window reset", "exchange reset",
			"expired", "change_too_soon", "inactive", "too_many_sessions"} {
			if seen[k] < 10 {
				t.Errorf("random sequences exercised %q only %d times", k, seen[k])
			}
		}
	}()
	for seq := 0; seq < 3000; seq++ {
		r, a := randomPolicy(rng)
		var s SignInState
		if rng.IntN(2) == 0 {
			s.ChangedAt = t0
		}
		now := t0
		var (
			lockedAt     time.Time // when the current lock began, zero if none
			lastFailure  time.Time
			lastActive   time.Time // last success or activation
			failuresSeen int       // failures the shadow expects
		)
		for ev := 0; ev < 120; ev++ {
			now = now.Add(randomGap(rng, &r))
			e := randomEvent(rng, now)
			prev := s
			var d SignInDecision
			s, d = SignIn(&r, &a, s, e)
			ctx := func() string {
				return "seq " + itoa(seq) + " event " + itoa(ev) + " (" + e.Type.String() + ")"
			}

			// Purity: the same input gives the same output.
			if s2, d2 := SignIn(&r, &a, prev, e); s2 != s || d2 != d {
				t.Fatalf("%s: not deterministic", ctx())
			}
			// A locked account never opens before its time, and an
			// admin-must-unlock account never opens by itself.
			if prev.Locked && e.Type == EventSignIn && !s.Inactive {
				timedOut := !adminUnlockOnly(&r) && !now.Before(lockedAt.Add(minutes(r.LockoutMinutes)))
				if d.Allowed && !timedOut {
					t.Fatalf("%s: locked at +%v (%d min, admin %v) opened at +%v", ctx(), lockedAt.Sub(t0), r.LockoutMinutes, adminUnlockOnly(&r), now.Sub(t0))
				}
				if !timedOut && d.Code != SignInLocked {
					t.Fatalf("%s: locked account answered %s", ctx(), d.Code)
				}
			}
			if s.Locked && adminUnlockOnly(&r) && !d.AdminMustUnlock {
				t.Fatalf("%s: admin lock not reported", ctx())
			}
			// The counter resets after its window (unless locked).
			if e.Type == EventSignIn && d.Code == SignInFailed && !prev.Locked {
				want := failuresSeen + 1
				if r.ResetFailedMinutes > 0 && !lastFailure.IsZero() && !now.Before(lastFailure.Add(minutes(r.ResetFailedMinutes))) {
					want = 1
				}
				if s.Failures != want {
					t.Fatalf("%s: failures %d, want %d", ctx(), s.Failures, want)
				}
				// Exchange: reset at N, lock at M, N < M.
				if d.ResetCredential != (r.ResetAfterFailures > 0 && s.Failures == r.ResetAfterFailures) {
					t.Fatalf("%s: reset_credential %v at %d failures (N=%d)", ctx(), d.ResetCredential, s.Failures, r.ResetAfterFailures)
				}
				if d.ResetCredential && s.Locked {
					t.Fatalf("%s: reset and lockout on the same failure", ctx())
				}
				if s.Locked != (r.FailedLimit > 0 && s.Failures >= r.FailedLimit) {
					t.Fatalf("%s: locked %v at %d failures (limit %d)", ctx(), s.Locked, s.Failures, r.FailedLimit)
				}
			}
			if r.FailedLimit > 0 && s.Failures > r.FailedLimit {
				t.Fatalf("%s: %d failures past the limit %d", ctx(), s.Failures, r.FailedLimit)
			}
			// Expiry: a sign-in after the lifetime must change.
			if d.Allowed && e.Type == EventSignIn && s.Expired(&r, now) && (!d.MustChange || d.Code != SignInExpired) {
				t.Fatalf("%s: expired credential signed in as %s", ctx(), d.Code)
			}
			// Minimum time between changes (a forced change aside).
			if e.Type == EventChange && !e.ByAdmin && d.Allowed && r.MinChangeMinutes > 0 && !prev.ChangedAt.IsZero() &&
				now.Before(prev.ChangedAt.Add(minutes(r.MinChangeMinutes))) && !prev.MustChange && !prev.Expired(&r, now) {
				t.Fatalf("%s: change %v after the previous one, minimum %d min", ctx(), now.Sub(prev.ChangedAt), r.MinChangeMinutes)
			}
			if d.Code == SignInChangeTooSoon && s.ChangedAt != prev.ChangedAt {
				t.Fatalf("%s: a refused change moved changed_at", ctx())
			}
			// Inactivity: once idle past the limit, nothing signs in until
			// an administrator reactivates.
			if a.InactivityDays > 0 && !lastActive.IsZero() && !now.Before(lastActive.Add(days(a.InactivityDays))) &&
				e.Type == EventSignIn && d.Allowed {
				t.Fatalf("%s: idle %v signed in (limit %d days)", ctx(), now.Sub(lastActive), a.InactivityDays)
			}
			// Sessions never exceed their cap.
			for i := Interface(0); i < NumInterfaces; i++ {
				if c := sessionCap(&a, i); c > 0 && s.Sessions[i] > c {
					t.Fatalf("%s: %d %s sessions, cap %d", ctx(), s.Sessions[i], i, c)
				}
				if s.Sessions[i] < 0 {
					t.Fatalf("%s: negative sessions", ctx())
				}
			}

			switch {
			case s.Locked && !prev.Locked:
				seen["lockout"]++
			case prev.Locked && !s.Locked && e.Type == EventSignIn:
				seen["timed unlock"]++
			case prev.Locked && s.Locked && adminUnlockOnly(&r) && now.Sub(lockedAt) > 24*time.Hour:
				seen["admin lock held"]++
			case d.Code == SignInFailed && prev.Failures > 0 && s.Failures == 1:
				seen["window reset"]++
			}
			if d.ResetCredential {
				seen["exchange reset"]++
			}
			seen[string(d.Code)]++

			// Update the shadow.
			failuresSeen = s.Failures
			if s.Failures > 0 {
				lastFailure = s.LastFailure
			} else {
				lastFailure = time.Time{}
			}
			if s.Locked && !prev.Locked {
				lockedAt = now
			}
			if !s.Locked {
				lockedAt = time.Time{}
			}
			if (e.Type == EventSignIn && d.Allowed) || e.Type == EventActivate {
				lastActive = now
			}
		}
	}
}

// randomPolicy draws a credential rule and account policy in the ranges
// the profiles use, including the corners (no limit, admin unlock, 0).
func randomPolicy(rng *rand.Rand) (CredentialRule, AccountPolicy) {
	var r CredentialRule
	if rng.IntN(5) > 0 {
		r.FailedLimit = 1 + rng.IntN(8)
	}
	if rng.IntN(3) > 0 {
		r.ResetFailedMinutes = 1 + rng.IntN(120)
	}
	switch rng.IntN(4) {
	case 0:
		r.AdminMustUnlock = true
	case 1:
		r.LockoutMinutes = 0 // Unified CM: administrator unlocks
	default:
		r.LockoutMinutes = 1 + rng.IntN(1440)
	}
	if r.FailedLimit > 1 && rng.IntN(3) == 0 {
		r.ResetAfterFailures = 1 + rng.IntN(r.FailedLimit-1)
	}
	if rng.IntN(2) == 0 {
		r.ExpiryDays = 1 + rng.IntN(90)
	}
	if rng.IntN(2) == 0 {
		r.MinChangeMinutes = rng.IntN(3 * 24 * 60)
	}
	var a AccountPolicy
	if rng.IntN(2) == 0 {
		a.InactivityDays = 1 + rng.IntN(120)
	}
	a.MaxSessionsTelephony = rng.IntN(4)
	a.MaxSessionsIMAP = rng.IntN(6)
	return r, a
}

// randomGap is mostly seconds to minutes, sometimes near a window's edge,
// sometimes days.
func randomGap(rng *rand.Rand, r *CredentialRule) time.Duration {
	switch rng.IntN(10) {
	case 0:
		return time.Duration(rng.IntN(90*24)) * time.Hour
	case 1:
		return minutes(r.LockoutMinutes) + time.Duration(rng.IntN(3)-1)*time.Second
	case 2:
		return minutes(r.ResetFailedMinutes) + time.Duration(rng.IntN(3)-1)*time.Second
	case 3:
		return 0
	}
	return time.Duration(rng.IntN(600)) * time.Second
}

func randomEvent(rng *rand.Rand, now time.Time) SignInEvent {
	e := SignInEvent{At: now, Interface: Interface(rng.IntN(int(NumInterfaces)))}
	switch n := rng.IntN(100); {
	case n < 45:
		e.Type = EventSignIn
		e.OK = rng.IntN(3) == 0
	case n < 60:
		e.Type = EventSignOut
	case n < 75:
		e.Type = EventChange
		e.ByAdmin = rng.IntN(4) == 0
		e.MustChange = rng.IntN(2) == 0
	case n < 80:
		e.Type = EventUnlock
	case n < 84:
		e.Type = EventActivate
	case n < 88:
		e.Type = EventRequireChange
	default:
		e.Type = EventCheck
	}
	return e
}

// FuzzSignIn: any state, any event, any policy in range: no panic, and
// the invariants that hold for every single step.
func FuzzSignIn(f *testing.F) {
	f.Add(3, 30, 30, false, 0, 180, 0, 2, 5, 90, 2, int64(0), int64(1000), true, uint8(0), uint8(0), false)
	f.Fuzz(func(t *testing.T, limit, resetMin, lockMin int, admin bool, resetAfter, expiry, minChange, tel, imap, inact, failures int,
		lockedAtSec, atSec int64, locked bool, typ, iface uint8, ok bool) {
		r := CredentialRule{FailedLimit: limit % 1000, ResetFailedMinutes: resetMin % 10000, LockoutMinutes: lockMin % 10000,
			AdminMustUnlock: admin, ResetAfterFailures: resetAfter % 1000, ExpiryDays: expiry % 1000, MinChangeMinutes: minChange % 100000}
		a := AccountPolicy{MaxSessionsTelephony: tel % 100, MaxSessionsIMAP: imap % 100, InactivityDays: inact % 10000}
		s := SignInState{Failures: failures, Locked: locked, LockedAt: t0.Add(time.Duration(lockedAtSec%1e9) * time.Second),
			LastFailure: t0, ChangedAt: t0, LastSignIn: t0, Sessions: [NumInterfaces]int{tel, -imap, failures}}
		e := SignInEvent{Type: EventType(typ % (uint8(NumEventTypes) + 1)), Interface: Interface(iface % (uint8(NumInterfaces) + 1)),
			At: t0.Add(time.Duration(atSec%1e10) * time.Second), OK: ok}
		s2, d := SignIn(&r, &a, s, e)
		if d.Allowed && (d.Code == SignInLocked || d.Code == SignInFailed || d.Code == SignInInactive) {
			t.Fatalf("allowed with code %s", d.Code)
		}
		if e.Type == EventSignIn && d.Allowed && (s.Locked && s2.Locked) {
			t.Fatalf("signed in while locked")
		}
		if s2.Failures < 0 {
			t.Fatalf("negative failures")
		}
	})
}
