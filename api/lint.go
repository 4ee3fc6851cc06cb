package api

import (
	"strconv"

	"github.com/tollgate/tollgate/core/dialplan"
)

// LintRequest is the "lint" operation: review a tables set.
type LintRequest struct {
	Tables RawJSON `json:"tables,omitempty"`
}

func init() {
	// "lint" answers {"findings": [{"code", "severity", "table", "row",
	// "message"}]}, plus "shadowed_by" on a shadowed_row finding that one
	// row shadows (and on risky_block_shadowed: the allowing row), and
	// "example" and "destination" on the destination findings of a
	// document that declares a region. row is -1 for a table-level finding.
	register("lint", func(s *Session, req, out []byte) ([]byte, error) {
		var r LintRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		set, err := s.tables(r.Tables)
		if err != nil {
			return nil, err
		}
		out = append(out, `{"findings":[`...)
		for i, f := range dialplan.Lint(set) {
			if i > 0 {
				out = append(out, ',')
			}
			out = AppendFinding(out, &f)
		}
		return append(out, "]}"...), nil
	})
}

// AppendFinding appends the JSON form of one lint finding.
func AppendFinding(b []byte, f *dialplan.Finding) []byte {
	b = append(b, `{"code":`...)
	b = AppendString(b, f.Code)
	b = append(b, `,"severity":`...)
	b = AppendString(b, string(f.Severity))
	b = append(b, `,"table":`...)
	b = AppendString(b, f.Table)
	b = append(b, `,"row":`...)
	b = strconv.AppendInt(b, int64(f.Row), 10)
	if f.ShadowedBy >= 0 {
		b = append(b, `,"shadowed_by":`...)
		b = strconv.AppendInt(b, int64(f.ShadowedBy), 10)
	}
	b = append(b, `,"message":`...)
	b = AppendString(b, f.Message)
	if f.HasDestination {
		b = append(b, `,"example":`...)
		b = AppendString(b, f.Example)
		b = AppendDestination(b, f.Destination)
	}
	return append(b, '}')
}
