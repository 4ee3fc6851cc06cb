package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// Velocity is the service's velocity limits (docs/tables.md, "Velocity"):
// how many calls to a risk tier a caller, or the whole site, may make in
// a sliding window. A dial the tables allow is then refused with reason
// "velocity" (api.DialVelocity) when one more call would pass a limit.
// Only the calls the service lets through are counted: a refused call,
// by a table or by a limit, takes nothing from any budget, so a burst
// that is being refused does not keep the caller locked out once the
// window has passed.
//
// ParseVelocity reads it from its JSON document; Config.Velocity takes it.
type Velocity struct {
	Limits []Limit
	// AfterHours is when the limits marked AfterHours apply; nil when no
	// limit is.
	AfterHours *Hours
}

// Limit is one velocity limit: at most Calls calls to Tier within
// Window, per caller (Scope "caller": the dial request's caller; a
// request without one is not held to it) or for the site (Scope "site":
// every dial this service answers, with or without a caller, on every
// replica sharing the store).
type Limit struct {
	// Tier is a destination tier (api.Destination.Tier: "high",
	// "medium", "low"), or "any" for every call, whatever its
	// destination, known or not.
	Tier   string
	Scope  string // "caller" or "site"
	Calls  int    // 1 to MaxLimitCalls
	Window time.Duration
	// AfterHours: the limit is checked only within Velocity.AfterHours.
	// Its window counts every call, day or night, so a burst that starts
	// just before the evening is held to it too.
	AfterHours bool
}

// Hours is the after-hours period: every day from From to To (minutes
// after midnight; To before From runs past midnight), plus the whole of
// the listed Days, in Location's time.
type Hours struct {
	From, To int
	Days     []time.Weekday
	Location *time.Location
}

// MaxLimitCalls bounds a limit's Calls: a counter keeps the time of each
// call its window may still hold, at most Calls of them.
const MaxLimitCalls = 100000

// MaxLimitWindow bounds a limit's Window (a counter lives this long after
// its last call).
const MaxLimitWindow = 31 * 24 * time.Hour

// In returns whether t is after hours.
func (h *Hours) In(t time.Time) bool {
	t = t.In(h.Location)
	for _, d := range h.Days {
		if t.Weekday() == d {
			return true
		}
	}
	m := t.Hour()*60 + t.Minute()
	if h.From <= h.To {
		return m >= h.From && m < h.To
	}
	return m >= h.From || m < h.To
}

// VelocityError is a velocity document ParseVelocity refuses: where (the
// member's path, and its line and column) and what.
type VelocityError struct {
	Path   string // "limits[1].window"; empty for the document
	Line   int
	Column int
	Msg    string
}

func (e *VelocityError) Error() string {
	s := "velocity: line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column)
	if e.Path != "" {
		s += ": " + e.Path
	}
	return s + ": " + e.Msg
}

var (
	velocityFields   = []string{"after_hours", "limits"}
	limitFields      = []string{"tier", "per", "calls", "window", "when"}
	afterHoursFields = []string{"from", "to", "days", "time_zone"}
	weekdays         = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

// ParseVelocity reads a velocity document, strictly: each member once,
// none unknown, every value checked, every error with its position.
//
//	{
//	  "after_hours": {"from": "19:00", "to": "07:00", "days": ["sat", "sun"], "time_zone": "Europe/Paris"},
//	  "limits": [
//	    {"tier": "high", "per": "caller", "calls": 3, "window": "10m"},
//	    {"tier": "high", "per": "site", "calls": 20, "window": "1h"},
//	    {"tier": "high", "per": "caller", "calls": 1, "window": "1h", "when": "after_hours"}
//	  ]
//	}
func ParseVelocity(doc []byte) (*Velocity, error) {
	d := jsonx.NewDecoder(doc)
	v := &Velocity{}
	fail := func(off int, path, msg string) error {
		line, col := lineCol(doc, off)
		return &VelocityError{Path: path, Line: line, Column: col, Msg: msg}
	}
	var hasLimits bool
	var whenOff []int // offsets of each limit's "when" (for a missing after_hours)
	err := d.Object(func(key string) error {
		switch key {
		case "limits":
			hasLimits = true
			return d.Array(func(i int) error {
				var l Limit
				var has [5]bool
				start := d.Offset()
				err := d.Object(func(key string) error {
					off := d.Offset()
					switch key {
					case "tier":
						s, err := d.String()
						if err != nil {
							return err
						}
						switch s {
						case "high", "medium", "low", "any":
						default:
							return fail(off, d.Path(), "want high, medium, low or any")
						}
						l.Tier, has[0] = s, true
					case "per":
						s, err := d.String()
						if err != nil {
							return err
						}
						if s != "caller" && s != "site" {
							return fail(off, d.Path(), "want caller or site")
						}
						l.Scope, has[1] = s, true
					case "calls":
						n, err := d.Int()
						if err != nil {
							return err
						}
						if n < 1 || n > MaxLimitCalls {
							return fail(off, d.Path(), "want 1 to "+strconv.Itoa(MaxLimitCalls)+" calls")
						}
						l.Calls, has[2] = n, true
					case "window":
						s, err := d.String()
						if err != nil {
							return err
						}
						w, perr := time.ParseDuration(s)
						switch {
						case perr != nil:
							return fail(off, d.Path(), "not a duration; want e.g. \"10m\", \"1h\", \"24h\"")
						case w < time.Second || w > MaxLimitWindow:
							return fail(off, d.Path(), "want 1s to "+strconv.Itoa(int(MaxLimitWindow/time.Hour))+"h")
						case w%time.Second != 0:
							return fail(off, d.Path(), "want whole seconds")
						}
						l.Window, has[3] = w, true
					case "when":
						s, err := d.String()
						if err != nil {
							return err
						}
						switch s {
						case "always":
						case "after_hours":
							l.AfterHours = true
							whenOff = append(whenOff, off)
						default:
							return fail(off, d.Path(), "want always or after_hours")
						}
						has[4] = true
					default:
						return unknownField(d, key, limitFields)
					}
					return nil
				})
				if err != nil {
					return err
				}
				path := "limits[" + strconv.Itoa(i) + "]"
				for j, name := range limitFields[:4] {
					if !has[j] {
						return fail(start, path, "missing "+name)
					}
				}
				for j, o := range v.Limits {
					if o.Tier == l.Tier && o.Scope == l.Scope && o.Window == l.Window && o.AfterHours == l.AfterHours {
						return fail(start, path, "the same tier, per, window and when as limits["+strconv.Itoa(j)+"]: keep the lower calls")
					}
				}
				v.Limits = append(v.Limits, l)
				return nil
			})
		case "after_hours":
			h, err := parseHours(d, fail)
			v.AfterHours = h
			return err
		default:
			return unknownField(d, key, velocityFields)
		}
	})
	if err == nil {
		err = d.End()
		if err != nil {
			return nil, fail(d.Offset(), "", "trailing data after the document")
		}
	}
	if err != nil {
		if je, ok := err.(*jsonx.Error); ok {
			if je.Syntax {
				return nil, fail(je.Offset, "", "malformed JSON: "+je.Msg)
			}
			return nil, fail(je.Offset, je.Path, je.Msg)
		}
		if ae, ok := err.(*api.Error); ok {
			return nil, fail(d.Offset(), ae.Field, ae.Message)
		}
		return nil, err
	}
	if !hasLimits || len(v.Limits) == 0 {
		return nil, fail(0, "limits", "at least one limit is needed")
	}
	if len(whenOff) > 0 && v.AfterHours == nil {
		return nil, fail(whenOff[0], "", "a limit is for after_hours, and the document has no after_hours")
	}
	return v, nil
}

func parseHours(d *jsonx.Decoder, fail func(int, string, string) error) (*Hours, error) {
	h := &Hours{}
	var has [4]bool
	start := d.Offset()
	err := d.Object(func(key string) error {
		off := d.Offset()
		switch key {
		case "from", "to":
			s, err := d.String()
			if err != nil {
				return err
			}
			m, ok := clockMinutes(s)
			if !ok {
				return fail(off, d.Path(), "want a time of day, HH:MM (00:00 to 23:59)")
			}
			if key == "from" {
				h.From, has[0] = m, true
			} else {
				h.To, has[1] = m, true
			}
		case "days":
			has[2] = true
			return d.Array(func(i int) error {
				off := d.Offset()
				s, err := d.String()
				if err != nil {
					return err
				}
				for n, w := range weekdays {
					if strings.EqualFold(s, w) {
						h.Days = append(h.Days, time.Weekday(n))
						return nil
					}
				}
				return fail(off, d.Path(), "want a day: "+strings.Join(weekdays, ", "))
			})
		case "time_zone":
			s, err := d.String()
			if err != nil {
				return err
			}
			if s == "" || s == "Local" {
				return fail(off, d.Path(), "want an IANA time zone (\"Europe/Paris\", \"UTC\"): the site's, not the host's")
			}
			loc, lerr := time.LoadLocation(s)
			if lerr != nil {
				return fail(off, d.Path(), "unknown time zone (want an IANA name such as \"America/New_York\"; is tzdata installed?)")
			}
			h.Location, has[3] = loc, true
		default:
			return unknownField(d, key, afterHoursFields)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for j, name := range []string{"from", "to"} {
		if !has[j] {
			return nil, fail(start, "after_hours", "missing "+name)
		}
	}
	if !has[3] {
		return nil, fail(start, "after_hours", "missing time_zone")
	}
	if h.From == h.To {
		return nil, fail(start, "after_hours", "from and to are the same time: say which hours are after hours")
	}
	return h, nil
}

// clockMinutes reads HH:MM.
func clockMinutes(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, ok1 := jsonx.Atoi(s[:2])
	m, ok2 := jsonx.Atoi(s[3:])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

func lineCol(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if data[i] == '\n' {
			line, start = line+1, i+1
		}
	}
	return line, 1 + len([]rune(string(data[start:off])))
}

// CallCounter is the part of a Store that counts calls for velocity
// limits: MemoryStore and redisstore.Store are both. Config.Velocity needs
// a Store that is one.
type CallCounter interface {
	// Admit decides one call against the windows ws, as one atomic step
	// against every other Admit of the same keys, on this replica or
	// another: when every window with Enforce holds fewer than its Max
	// calls within its Span before now, the call is recorded at now in
	// every window of ws and Admit returns -1; otherwise nothing is
	// recorded and it returns the index of the first full window. Any
	// error means the store could not answer (the service fails closed).
	Admit(ctx context.Context, now time.Time, ws []Window) (full int, err error)
}

// Window is one counter of calls in a sliding window: the calls recorded
// in the last Span (a call at t counts while now - t < Span). A store
// keeps the time of at most Max calls per key, and may drop a key Span
// after its last call. The counter holds times only, never a number
// dialed.
type Window struct {
	// Key names the counter: the limit's scope, tier, window and, per
	// caller, the caller (docs/tables.md shows the form). It holds no
	// secret: a caller is an extension.
	Key     string
	Span    time.Duration
	Max     int
	Enforce bool // false: the call is recorded, the limit not checked (an after-hours limit by day)
}

// velocityPlan is Config.Velocity compiled: per limit, its key's prefix.
type velocityPlan struct {
	v       *Velocity
	prefix  []string // per limit: "velocity:" scope ":" tier ":" window [":after_hours"] [":"]
	name    []string // per limit, for the log: "velocity:caller:high:600s"
	counter CallCounter
}

func newVelocityPlan(v *Velocity, st Store) (*velocityPlan, error) {
	c, ok := st.(CallCounter)
	if !ok {
		return nil, errors.New("server: Config.Velocity needs a Store that counts calls (server.CallCounter: the memory store, redisstore)")
	}
	if len(v.Limits) == 0 {
		return nil, errors.New("server: Config.Velocity has no limit")
	}
	p := &velocityPlan{v: v, counter: c}
	for i, l := range v.Limits {
		if l.Calls < 1 || l.Calls > MaxLimitCalls || l.Window < time.Second || l.Window > MaxLimitWindow ||
			(l.Scope != "caller" && l.Scope != "site") || l.Tier == "" {
			return nil, errors.New("server: Config.Velocity.Limits[" + strconv.Itoa(i) + "] is out of range (ParseVelocity checks a document)")
		}
		if l.AfterHours && (v.AfterHours == nil || v.AfterHours.Location == nil) {
			return nil, errors.New("server: Config.Velocity.Limits[" + strconv.Itoa(i) + "] is for after hours, and Velocity.AfterHours is nil")
		}
		k := "velocity:" + l.Scope + ":" + l.Tier + ":" + strconv.FormatInt(int64(l.Window/time.Second), 10) + "s"
		if l.AfterHours {
			k += ":after_hours"
		}
		p.name = append(p.name, k)
		if l.Scope == "caller" {
			k += ":"
		}
		p.prefix = append(p.prefix, k)
	}
	return p, nil
}

// windows appends the windows a call to tier by caller is held to, and
// lim, the index of each one's limit.
func (p *velocityPlan) windows(ws []Window, lim []int, tier, caller string, hasCaller bool, now time.Time) ([]Window, []int) {
	night := -1 // unknown yet
	for i := range p.v.Limits {
		l := &p.v.Limits[i]
		if l.Tier != "any" && l.Tier != tier {
			continue
		}
		k := p.prefix[i]
		if l.Scope == "caller" {
			if !hasCaller {
				continue
			}
			k += caller
		}
		enforce := true
		if l.AfterHours {
			if night < 0 {
				night = boolInt(p.v.AfterHours.In(now))
			}
			enforce = night == 1
		}
		ws = append(ws, Window{Key: k, Span: l.Window, Max: l.Calls, Enforce: enforce})
		lim = append(lim, i)
	}
	return ws, lim
}

// windowScratch holds a dial's windows and their limits, reused.
type windowScratch struct {
	ws  []Window
	lim []int
}

var windowScratches = sync.Pool{New: func() any { return &windowScratch{ws: make([]Window, 0, 8), lim: make([]int, 0, 8)} }}

// admitCall holds an allowed dial to the velocity limits: it counts the
// call, or turns d into a refusal with reason velocity. A store that
// cannot answer fails the dial closed (503), as it does a sign-in.
func (s *Server) admitCall(ctx context.Context, d *api.DialResult, caller string, hasCaller bool, l *reqLog) *failure {
	sc := windowScratches.Get().(*windowScratch)
	defer func() {
		clear(sc.ws) // no key kept alive
		windowScratches.Put(sc)
	}()
	now := s.cfg.Now()
	ws, lim := s.velocity.windows(sc.ws[:0], sc.lim[:0], dialTier(d), caller, hasCaller, now)
	sc.ws, sc.lim = ws, lim
	if len(ws) == 0 {
		return nil
	}
	full, err := s.velocity.counter.Admit(ctx, now, ws)
	switch {
	case errors.Is(err, ErrStoreFull):
		return &failure{http.StatusServiceUnavailable, &api.Error{Code: ErrStoreFullCode, Message: "the velocity counters' store is full; no call is let through uncounted"}}
	case err != nil:
		if ctx.Err() != nil {
			return &failure{http.StatusServiceUnavailable, s.deadlineError("dial", ctx, l)}
		}
		s.log.Error("velocity store", "error", err.Error())
		return &failure{http.StatusServiceUnavailable, &api.Error{Code: ErrStoreUnavailable,
			Message: "the velocity counters' store did not answer; no call is let through uncounted"}}
	case full >= 0:
		d.Allowed, d.Reason = false, api.DialVelocity
		// The log names the limit (never the caller twice: the key's
		// caller part is left out).
		l.codes = append(l.codes, s.velocity.name[lim[full]])
	}
	return nil
}
