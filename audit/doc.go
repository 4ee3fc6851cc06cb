// Package audit audits user exports (package export reads them: Unity
// Connection and Unified CM BAT files, Exchange and Active Directory CSV)
// for what lets toll fraudsters in: trivial PINs and passwords, PINs that
// several users share (a template's default), stored PIN and password
// records whose secret is trivial or that FIPS mode cannot verify, and
// transfer, notification and fax numbers the restriction tables would
// refuse. It is what `tollgate audit` runs; Generate is `tollgate gen`.
//
// Run reads an Input and hands a Sink one Record per input row, in input
// order, bad rows included, then the Summary:
//
//	tg, _ := tollgate.New(ctx)
//	defer tg.Close()
//	sink := audit.NewTableSink(os.Stdout) // or NewCSVSink, NewJSONSink, NewHTMLSink, your own Sink
//	sum, err := audit.Run(ctx, audit.Config{Engine: tg}, in, sink)
//
// The checks run on the engine Config names, through its typed operations
// (CheckPIN, CheckPassword) and, when it has one, its scalar dial path
// (TableIndex, DialNumber; the "dial" operation otherwise): either of
// tollgate's engines gives the same records. Stored records are verified
// here (core/credential), a brute-force loop that needs no engine. No
// record, message or summary ever holds a PIN, password or hash.
//
// The per-row work (internal/auditcore) does no I/O: Run reads the
// input, spreads the rows over workers and writes the records in order
// around it. Its memory does not grow with the file: past half a million
// distinct PINs the first pass keeps its counts of them in an unlinked
// temporary file (os.TempDir), which holds keyed digests only.
// docs/audit.md describes the audit: its input, findings,
// reports and costs.
package audit
