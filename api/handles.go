package api

import "github.com/tollgate/tollgate/core/dialplan"

// TablesByHandle returns the tables set that "tables.load" loaded under
// handle h in this session. The wasm module's scalar dial exports and the
// host's native engine use it to reach the compiled matcher without JSON.
func (s *Session) TablesByHandle(h int) (*dialplan.Set, bool) {
	if h < 0 || h >= len(s.dial.sets) {
		return nil, false
	}
	return s.dial.sets[h], true
}
