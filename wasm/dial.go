//go:build wasip1

package main

import (
	"bytes"
	"encoding/binary"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/abi"
)

// The dial hot path: raw bytes in the scratch buffer, scalars out, no JSON
// and no allocation per number.

// table finds table index ti of the tables set loaded under handle th.
func table(th, ti uint32) (*dialplan.Table, bool) {
	set, ok := session.Tables(api.Handle(th))
	if !ok {
		return nil, false
	}
	return set.TableAt(int(ti))
}

func pack(r *dialplan.Result) int32 {
	p, ok := abi.PackDial(r.Allowed, uint32(r.Reason), r.Dropped > 0, int(r.Row), int(r.Alt))
	if !ok {
		return -abi.StatusTooLarge
	}
	return int32(p)
}

//go:wasmexport table_index
func tableIndex(th, nameLen uint32) (r int32) {
	defer func() {
		if recover() != nil {
			r = -abi.StatusPanic
		}
	}()
	if nameLen > uint32(len(buf)) {
		return -abi.StatusBadArgs
	}
	set, ok := session.Tables(api.Handle(th))
	if !ok {
		return -abi.StatusNoHandle
	}
	name := buf[:nameLen]
	var t *dialplan.Table
	if len(name) == 0 {
		t = set.DefaultTable() // what a dial request naming no table gets
	} else if cos, feature, isCOS := bytes.Cut(name, []byte{'\n'}); isCOS {
		var err error
		if t, err = set.ForFeature(string(cos), string(feature)); err != nil {
			return -abi.StatusNoHandle
		}
	} else if t, ok = set.Table(string(name)); !ok {
		return -abi.StatusNoHandle
	}
	return int32(t.Index())
}

//go:wasmexport dial
func dial(th, ti, numLen uint32) (r int32) {
	defer func() {
		if recover() != nil {
			r = -abi.StatusPanic
		}
	}()
	if numLen > uint32(len(buf)) {
		return -abi.StatusBadArgs
	}
	t, ok := table(th, ti)
	if !ok {
		return -abi.StatusNoHandle
	}
	res := t.Match(buf[:numLen])
	return pack(&res)
}

//go:wasmexport dial_batch
func dialBatch(th, ti, inLen uint32) (r int32) {
	defer func() {
		if recover() != nil {
			r = -abi.StatusPanic
		}
	}()
	if inLen > uint32(len(buf)) {
		return -abi.StatusBadArgs
	}
	t, ok := table(th, ti)
	if !ok {
		return -abi.StatusNoHandle
	}
	// One pass: split a line, match it, store its packed result after the
	// input. Cheaper in wasm than counting lines first and going through
	// a slice of Results (dialplan.Table.MatchLines); same line rules.
	in := buf[:inLen]
	out := buf[(inLen+3)&^3:]
	n := 0
	for len(in) > 0 {
		line := in
		if i := bytes.IndexByte(in, '\n'); i >= 0 {
			line, in = in[:i], in[i+1:]
		} else {
			in = nil
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if 4*n+4 > len(out) {
			return -abi.StatusTooLarge
		}
		res := t.Match(line)
		binary.LittleEndian.PutUint32(out[4*n:], uint32(pack(&res)))
		n++
	}
	return int32(n)
}
