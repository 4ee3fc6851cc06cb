//go:build wasip1

package dialplan

// The WebAssembly module does not classify destinations yet: it links
// neither core/destination's classifier nor the destination lint (about
// 46 KB gzip, over the module's budget), and its hosts do not pass the
// data artifact in. A document that declares a region is refused with
// this error; region_dest.go and lint_dest.go are the native side.

import "github.com/tollgate/tollgate/internal/jsonx"

type destState = *struct{}

// readRegion and readTiers only note that the document has them: the
// module refuses a region whatever it says.
func readRegion(d *jsonx.Decoder) (*Region, error) {
	if d.Null() {
		return nil, nil
	}
	return &Region{}, d.Skip()
}

func readTiers(d *jsonx.Decoder) (*Tiers, error) {
	if d.Null() {
		return nil, nil
	}
	return &Tiers{}, d.Skip()
}

func (s *Set) compileDest(_ *Document, _ Options, fail func(field string, err error, msg string) error) error {
	return fail("region", ErrUnsupported, "this build has no destination data: the WebAssembly module does not classify destinations yet (issue 18); use the native engine")
}

func (l *linter) destinations() {}

// Destination reports no destination: the module has none to give.
func (t *Table) Destination(string) (Destination, bool) { return Destination{}, false }
