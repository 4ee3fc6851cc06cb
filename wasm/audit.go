//go:build wasip1 && tollgate_audit

package main

import (
	"math"
	"strconv"
	"strings"
	_ "unsafe" // go:linkname

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/credential"
	"github.com/tollgate/tollgate/internal/auditcore"
)

// The audit's operations (docs/abi.md, "Audit") run internal/auditcore
// against the instance's session. An instance holds at most one audit.
var audit *auditcore.Stream

// auditLimit is the open audit's heap limit (0: none): audit.open's
// memory_limit, else the GOMEMLIMIT the instance started with (the
// browser's), read at the first audit.open.
var auditLimit, startLimit int64 = 0, -1

// isAudit reports whether op is one of the audit's operations, which
// take and answer bytes rather than JSON.
func isAudit(op string) bool { return strings.HasPrefix(op, "audit.") }

func auditCall(op string, req, out []byte) ([]byte, error) {
	switch op {
	case "audit.open":
		if audit != nil {
			audit.Close()
			audit = nil
		}
		o, err := auditcore.ParseOptions(req)
		if err != nil {
			return out, err
		}
		// The module has no context: its long work reads the clock, where
		// the host ends a call whose context ended (a SIGINT on the CLI).
		o.Interrupt = pollHost
		if startLimit < 0 {
			startLimit = setMemoryLimit(-1) // a negative limit only reads it
		}
		switch {
		case o.MemoryLimit > 0:
			auditLimit = o.MemoryLimit
		case startLimit < math.MaxInt64:
			auditLimit = startLimit
		default:
			auditLimit = 0
		}
		if auditLimit > 0 {
			setMemoryLimit(auditLimit) // also undoes the last audit's raise
		}
		s, err := auditcore.Open(nil, session, o) //lint:ignore SA1012 the module has no context (api.Session.Do)
		if err != nil {
			return out, err
		}
		audit = s
		return append(out, "{}"...), nil
	case "audit.rows", "audit.shared":
		if audit == nil {
			return out, &api.Error{Code: api.ErrBadRequest, Message: op + " without audit.open"}
		}
		if op == "audit.shared" {
			err := audit.Shared(req)
			if auditLimit > 0 {
				setMemoryLimit(auditLimit + audit.SharedBytes())
			}
			return out, err
		}
		out, err := audit.Rows(req, out)
		if err != nil {
			audit.Close()
			audit = nil
		}
		return out, err
	case "audit.rates":
		return auditRates(req, out)
	case "audit.close":
		if audit != nil {
			audit.Close()
			audit = nil
		}
		return out, nil
	}
	return out, &api.Error{Code: api.ErrUnknownOp, Message: "unknown operation " + op}
}

// maxRates bounds one audit.rates request: each scheme is measured for
// about 10 ms.
const maxRates = 8

// auditRates answers audit.rates: for each byte of req, a
// credential.Scheme, what its unit of work costs in this module
// (auditcore.Rate), as a little-endian float64 of seconds.
func auditRates(req, out []byte) ([]byte, error) {
	if len(req) == 0 || len(req) > maxRates {
		return out, &api.Error{Code: api.ErrBadRequest, Message: "audit.rates: want 1 to " + strconv.Itoa(maxRates) + " schemes, got " + strconv.Itoa(len(req))}
	}
	for i, b := range req {
		r := auditcore.Rate(credential.Scheme(b))
		if r == 0 {
			return out, &api.Error{Code: api.ErrBadRequest, Message: "audit.rates: byte " + strconv.Itoa(i) + ": scheme " + strconv.Itoa(int(b)) + " is neither SHA (1) nor a PBKDF2 scheme (11 to 13)"}
		}
		u := math.Float64bits(r)
		for k := range 8 {
			out = append(out, byte(u>>(8*k)))
		}
	}
	return out, nil
}

// setMemoryLimit is runtime/debug.SetMemoryLimit without runtime/debug
// (as setGCPercent in main.go): an audit.open with "memory_limit" sets the
// soft limit of the instance's heap, which the guest's collector at GOGC
// 400 would otherwise let grow to several times what the audit holds
// (docs/performance.md, "Memory").
//
//go:linkname setMemoryLimit runtime/debug.setMemoryLimit
func setMemoryLimit(limit int64) (previous int64)
