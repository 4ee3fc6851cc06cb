package api

import (
	"context"
	"strings"

	"github.com/tollgate/tollgate/core/dialplan"
)

// DefaultTables is the tables set of a request that names none.
const DefaultTables = dialplan.SetDefault

// DialRequest is the "dial" operation: check one dialed number against a
// table, named directly or through a class of service and a feature (the
// set's default table when neither is given).
type DialRequest struct {
	Tables  TablesRef `json:"tables,omitzero"`
	Table   string    `json:"table,omitempty"`
	COS     string    `json:"cos,omitempty"`
	Feature string    `json:"feature,omitempty"`
	Number  string    `json:"number"`
}

// LintRequest is the "lint" operation: review a tables set.
type LintRequest struct {
	Tables TablesRef `json:"tables,omitzero"`
}

// Dial matches r's number against the table r picks.
func (s *Session) Dial(ctx context.Context, r *DialRequest) (DialResult, error) {
	r = r.valid()
	set, err := s.tables(ctx, r.Tables)
	if err != nil {
		return DialResult{}, err
	}
	t, err := PickTable(set, r.Table, r.COS, r.Feature)
	if err != nil {
		return DialResult{}, err
	}
	res := t.MatchString(r.Number)
	return dialResultOf(t, r.Number, &res), nil
}

// Lint reviews every table of r's set.
func (s *Session) Lint(ctx context.Context, r *LintRequest) (LintResult, error) {
	set, err := s.tables(ctx, r.Tables)
	if err != nil {
		return LintResult{}, err
	}
	st := s.stopper(ctx)
	fs, err := dialplan.LintOptions(set, dialplan.Options{Interrupt: st.stop})
	if err != nil || st.fired {
		return LintResult{}, errInterrupted
	}
	out := LintResult{Findings: make([]Finding, len(fs))}
	for i := range fs {
		out.Findings[i] = findingOf(&fs[i])
	}
	return out, nil
}

// PickTable finds the table a request asks for: by name, by class of
// service and feature, or the set's default table.
func PickTable(set *dialplan.Set, table, cos, feature string) (*dialplan.Table, error) {
	switch {
	case table != "" && cos != "":
		return nil, &Error{Code: ErrBadRequest, Field: "cos", Message: "name a table or a class of service, not both"}
	case table != "":
		t, ok := set.Table(table)
		if !ok {
			names := make([]string, 0, set.NumTables())
			for _, t := range set.Tables() {
				names = append(names, quote(t.Name()))
			}
			return nil, &Error{Code: ErrBadRequest, Field: "table", Message: "no table " + quote(table) + " (tables: " + strings.Join(names, ", ") + ")"}
		}
		return t, nil
	case cos != "":
		if feature == "" {
			return nil, &Error{Code: ErrBadRequest, Field: "feature", Message: "a class of service needs a feature: transfer, outdial, fax or system_transfer"}
		}
		t, err := set.ForFeature(cos, feature)
		if err != nil {
			return nil, &Error{Code: ErrBadRequest, Field: "cos", Message: err.Error()}
		}
		return t, nil
	case feature != "":
		return nil, &Error{Code: ErrBadRequest, Field: "feature", Message: "a feature needs a class of service (cos)"}
	}
	return set.DefaultTable(), nil
}
