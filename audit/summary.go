package audit

import (
	"runtime"
	"sort"
	"time"

	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/auditcore"
)

// Summary counts what an audit found. It goes to --summary as JSON and
// heads the table and HTML reports.
type Summary struct {
	Input    string          `json:"input"`
	Encoding export.Encoding `json:"encoding"`
	Engine   string          `json:"engine"`
	Policy   string          `json:"policy"`
	Tables   string          `json:"tables"`

	Rows             int `json:"rows"`
	RowsWithFindings int `json:"rows_with_findings"`
	BadRows          int `json:"bad_rows"`
	Findings         int `json:"findings"`

	// ByCode, ByField and ByCOS count findings; UsersByCOS counts rows per
	// class of service ("(none)" for rows without one).
	ByCode     map[string]int `json:"by_code"`
	ByField    map[string]int `json:"by_field"`
	ByCOS      map[string]int `json:"by_cos"`
	UsersByCOS map[string]int `json:"users_by_cos"`
	// HighTierByCountry counts the high_tier_destination findings by the
	// country they reach ("001" for the international networks); absent
	// when there are none.
	HighTierByCountry map[string]int `json:"high_tier_by_country,omitempty"`

	// DistinctPINs is how many different PINs and stored PIN records the
	// shared-PIN check counted (what its memory grows with).
	DistinctPINs int `json:"distinct_pins"`
	// SharedPINs and SharedPINRecords are how many different PINs, and
	// stored PIN records, two or more users of the file hold (the groups
	// behind the shared_pin findings, one per value); UsersSharingPINs is
	// how many rows have a shared_pin finding.
	SharedPINs       int `json:"shared_pins"`
	SharedPINRecords int `json:"shared_pin_records"`
	UsersSharingPINs int `json:"users_sharing_pins"`
	// IgnoredColumns are the columns the audit knows and does not check,
	// as the header writes them; UnknownColumns the (1-based) numbers of
	// the columns whose names it does not know, which are never printed.
	IgnoredColumns []string `json:"ignored_columns,omitempty"`
	UnknownColumns []int    `json:"unknown_columns,omitempty"`
	SkippedChecks  []string `json:"skipped_checks,omitempty"`
	// PBKDF2 is what the PBKDF2 records cost (estimated before the run).
	PBKDF2      *PBKDF2Cost `json:"pbkdf2,omitempty"`
	Interrupted bool        `json:"interrupted"`
	Seconds     float64     `json:"seconds"`
}

// NoCOS labels rows without a class of service in the counts.
const NoCOS = "(none)"

func newSummary(input, engine, policy, tables string) *Summary {
	return &Summary{
		Input: input, Engine: engine, Policy: policy, Tables: tables,
		ByCode: map[string]int{}, ByField: map[string]int{}, ByCOS: map[string]int{}, UsersByCOS: map[string]int{},
	}
}

// maxCOSKeys bounds the class-of-service maps, so a file with a unique
// value in its COS column cannot grow them without limit.
const maxCOSKeys = 1000

func (s *Summary) add(r *Record) {
	s.Rows++
	cos := r.COS
	if cos == "" {
		cos = NoCOS
	}
	if _, ok := s.UsersByCOS[cos]; !ok && len(s.UsersByCOS) >= maxCOSKeys {
		cos = "(other)"
	}
	s.UsersByCOS[cos]++
	if len(r.Findings) == 0 {
		return
	}
	s.RowsWithFindings++
	s.Findings += len(r.Findings)
	s.ByCOS[cos] += len(r.Findings)
	sharing := false
	for _, f := range r.Findings {
		s.ByCode[f.Code]++
		if f.Field != "" {
			s.ByField[f.Field]++
		}
		switch f.Code {
		case CodeBadRow:
			s.BadRows++
		case CodeSharedPIN:
			sharing = true
		case CodeHighTierDestination:
			if s.HighTierByCountry == nil {
				s.HighTierByCountry = map[string]int{}
			}
			// Countries are a closed set (the destination data's), so
			// the map stays small.
			s.HighTierByCountry[auditcore.HighTierCountry(f.Message)]++
		}
	}
	if sharing {
		s.UsersSharingPINs++
	}
}

func (s *Summary) finish(start time.Time, c *checker) {
	s.Seconds = time.Since(start).Seconds()
	if c.shared != nil {
		s.DistinctPINs = c.shared.Distinct()
		if c.count != nil { // the first pass counted them all
			s.DistinctPINs = c.distinct
		}
		s.SharedPINs, s.SharedPINRecords = c.core.SharedGroups()
	}
	s.PBKDF2 = c.pbkdf2
	if s.PBKDF2 == nil {
		s.PBKDF2 = c.pbkdf2Seen.cost(min(c.cfg.Workers, runtime.GOMAXPROCS(0)))
	}
	s.SkippedChecks = c.core.Skipped()
}

// Count is one bar of a chart or one line of a summary table.
type Count struct {
	Key string
	N   int
}

// Sorted returns m's entries, largest first, then by key.
func Sorted(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	return out
}
