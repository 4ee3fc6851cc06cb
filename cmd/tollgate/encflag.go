package main

import (
	"flag"

	"github.com/tollgate/tollgate/export"
)

// encodingFlag adds --encoding, the encoding of the user export audit and
// gen read (serve has its own, for --users); export.ParseEncoding checks it.
func encodingFlag(fs *flag.FlagSet) *string {
	return fs.String("encoding", string(export.Auto), "encoding of the export: "+export.EncodingNames+"; auto reads a byte-order mark, else UTF-8 or Windows-1252 from the text (docs/audit.md)")
}
