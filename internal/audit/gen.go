package audit

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
)

// GenConfig is how Generate provisions PINs.
type GenConfig struct {
	// Engine checks each PIN with the policy's "pin" operation.
	Engine Engine
	// Policy is a profile name or a JSON policy document ("" is cuc).
	Policy string
	// Length is the PIN length; 0 is the policy's minimum, but at least 6
	// (the security guide's advice).
	Length int
	// Rand is the randomness source; nil is crypto/rand.
	Rand io.Reader
	// Warn receives the rows that were skipped; nil drops them.
	Warn io.Writer
	// Year is the current year, for the date rule.
	Year int
	// Encoding is the input's encoding (textenc.Parse); "" detects it.
	Encoding string
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
	pol, policyRef, err := resolvePolicy(cfg.Policy)
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
	c := &checker{cfg: &Config{Engine: cfg.Engine, Year: cfg.Year, EngineName: "gen"}}
	if c.policyRef, err = c.load(ctx, "policy.load", "policy", policyRef); err != nil {
		return st, err
	}
	cr, lay, err := openCSV(in, name, false, cfg.Encoding)
	if err != nil {
		return st, err
	}
	if _, ok := lay.col[FieldAlias]; !ok {
		return st, fmt.Errorf("%s: header: no alias (user id) column: a PIN nobody can be told is of no use", name)
	}
	seen := newSharedTable()
	w := csv.NewWriter(out)
	w.UseCRLF = true // what the BAT tools write
	w.Write([]string{"Alias", "Extension", "PIN"})
	pin := make([]byte, n)
	var s rowScratch
	var arena []string
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		rec, a, err := cr.next(arena[:0])
		arena = a
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("%s: %w", name, err)
		}
		reason := rec.bad
		if reason == "" && len(rec.fields) != lay.width {
			reason = fmt.Sprintf("wrong field count: %d fields, the header has %d", len(rec.fields), lay.width)
		}
		if reason == "" && lay.get(rec.fields, FieldAlias) == "" {
			reason = "no alias"
		}
		if reason != "" {
			st.Skipped++
			if cfg.Warn != nil {
				fmt.Fprintf(cfg.Warn, "gen: %s: line %d skipped: %s\n", name, rec.line, reason)
			}
			continue
		}
		var out Record
		c.lay = lay
		u := c.userOf(rec.fields, &s, &out)
		found := false
		for try := 0; try < maxGenTries && !found; try++ {
			if err := randomDigits(cfg.Rand, pin); err != nil {
				return st, err
			}
			d := seen.digest(FieldPIN, string(pin))
			if seen.count(d) > 0 {
				continue
			}
			s.req = c.pinRequest(s.req[:0], string(pin), &u)
			resp, err := cfg.Engine.Do(ctx, "pin", s.req)
			if err != nil {
				return st, fmt.Errorf("checking a PIN: %v", err)
			}
			var v verdictJSON
			if err := json.Unmarshal(resp, &v); err != nil {
				return st, fmt.Errorf("checking a PIN: %v", err)
			}
			if v.Accepted {
				seen.add(d)
				found = true
			}
		}
		if !found {
			return st, fmt.Errorf("%s: line %d: no unique valid %d-digit PIN found in %d draws: the space of %d-digit PINs is too small for this many users; use a longer --length", name, rec.line, n, maxGenTries, n)
		}
		if err := w.Write([]string{u.alias, lay.get(rec.fields, FieldExtension), string(pin)}); err != nil {
			return st, err
		}
		clear(pin)
		st.Users++
	}
	w.Flush()
	if cfg.Warn != nil {
		noteDetected(func(f string, a ...any) { fmt.Fprintf(cfg.Warn, f+"\n", a...) }, "gen", name, cr.dec)
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
