package audit

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"fmt"
	"io"
	mathrand "math/rand/v2"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/auditcore"
)

// GenConfig is how Generate provisions PINs.
type GenConfig struct {
	// Engine checks each PIN with the policy's PIN rules (CheckPIN); nil
	// runs a native tollgate.Checker made for the call.
	Engine api.Operations
	// Policy is a built-in profile or a policy document; the zero value
	// is the default profile (cuc). Not a handle: Generate reads its
	// PIN lengths.
	Policy api.PolicyRef
	// Length is the PIN length; 0 is the policy's minimum, but at least 6
	// (the security guide's advice).
	Length int
	// Rand is the randomness source; nil is crypto/rand.
	Rand io.Reader
	// Warn receives the rows that were skipped; nil drops them.
	Warn io.Writer
	// Year is the current year, for the date rule.
	Year int
	// Encoding is the input's encoding; the zero value detects it.
	Encoding export.Encoding
}

// GenStats counts what Generate did.
type GenStats struct {
	Users   int // PINs written
	Skipped int // rows that could not be read (reported to Warn)
}

// maxGenTries bounds the draws for one user: with a length the policy
// allows, almost every draw is valid and unique, so running out means the
// PIN space is too small for the number of users.
const maxGenTries = 1000

// Generate reads users (the audit's column names) from in and writes
// "Alias,Extension,PIN" to out: one random PIN per user (crypto/rand),
// valid under the policy in that user's context, no two alike. It keeps
// no PIN in memory after writing it: uniqueness is checked on keyed
// digests. The output holds secrets by design; the caller protects it.
func Generate(ctx context.Context, cfg GenConfig, name string, in io.Reader, out io.Writer) (GenStats, error) {
	var st GenStats
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	pol, err := compilePolicy(cfg.Policy)
	if err != nil {
		return st, err
	}
	n := cfg.Length
	if n == 0 {
		n = max(pol.PIN.MinLength, 6)
	}
	if n < max(pol.PIN.MinLength, 1) || n > pol.PIN.MaxLength || n > 64 {
		return st, fmt.Errorf("--length %d: the policy %s allows PINs of %d to %d digits", n, pol.Name, pol.PIN.MinLength, pol.PIN.MaxLength)
	}
	ecfg := &Config{Engine: cfg.Engine, Policy: cfg.Policy, Year: cfg.Year}
	e, err := open(ctx, ecfg)
	if err != nil {
		return st, err
	}
	defer e.close()
	cr, lay, err := openExport(in, name, cfg.Encoding)
	if err != nil {
		return st, err
	}
	if !lay.Has(export.Alias) {
		return st, fmt.Errorf("%s: header: no alias (user id) column: a PIN nobody can be told is of no use", name)
	}
	c := auditcore.New(auditcore.Config{Ops: e.ops, Policy: e.policy, Compiled: e.pol, Layout: lay, Year: cfg.Year})
	seen := auditcore.NewTable()
	key := mathrand.Uint64()
	w := csv.NewWriter(out)
	w.UseCRLF = true // what the BAT tools write
	w.Write([]string{"Alias", "Extension", "PIN"})
	pin := make([]byte, n)
	var s auditcore.Scratch
	var arena []string
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		rec, a, err := cr.Next(arena[:0])
		arena = a
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("%s: %w", name, err)
		}
		reason := rec.Bad
		if reason == "" && len(rec.Fields) != lay.Width() {
			reason = fmt.Sprintf("wrong field count: %d fields, the header has %d", len(rec.Fields), lay.Width())
		}
		if reason == "" && lay.Get(rec.Fields, export.Alias) == "" {
			reason = "no alias"
		}
		if reason != "" {
			st.Skipped++
			if cfg.Warn != nil {
				fmt.Fprintf(cfg.Warn, "gen: %s: line %d skipped: %s\n", name, rec.Line, reason)
			}
			continue
		}
		alias, pctx := c.PINContext(rec.Fields, &s)
		req := api.PINRequest{Policy: e.policy, Context: pctx}
		found := false
		for try := 0; try < maxGenTries && !found; try++ {
			if err := randomDigits(cfg.Rand, pin); err != nil {
				return st, err
			}
			d := auditcore.Digest(key, export.PIN, pin)
			if seen.Count(d) > 0 {
				continue
			}
			req.PIN = string(pin)
			v, err := e.ops.CheckPIN(ctx, &req)
			if err != nil {
				return st, fmt.Errorf("checking a PIN: %v", err)
			}
			if v.Accepted {
				seen.Add(d)
				found = true
			}
		}
		if !found {
			return st, fmt.Errorf("%s: line %d: no unique valid %d-digit PIN found in %d draws: the space of %d-digit PINs is too small for this many users; use a longer --length", name, rec.Line, n, maxGenTries, n)
		}
		if err := w.Write([]string{alias, lay.Get(rec.Fields, export.Extension), string(pin)}); err != nil {
			return st, err
		}
		clear(pin)
		st.Users++
	}
	w.Flush()
	if cfg.Warn != nil {
		noteDetected(func(f string, a ...any) { fmt.Fprintf(cfg.Warn, f+"\n", a...) }, "gen", name, cr)
	}
	return st, w.Error()
}

// randomDigits fills b with uniform random decimal digits (bytes of 250
// and above are redrawn, so no digit is favoured).
func randomDigits(r io.Reader, b []byte) error {
	var buf [32]byte
	i := 0
	for i < len(b) {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return fmt.Errorf("reading randomness: %w", err)
		}
		for _, x := range buf {
			if x < 250 && i < len(b) {
				b[i] = '0' + x%10
				i++
			}
		}
	}
	clear(buf[:])
	return nil
}
