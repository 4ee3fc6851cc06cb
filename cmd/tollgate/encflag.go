package main

import (
	"flag"

	"github.com/tollgate/tollgate/internal/textenc"
)

// encodingFlag adds --encoding, the encoding of the user export audit and
// gen read (serve has its own, for --users); textenc.Parse checks it.
func encodingFlag(fs *flag.FlagSet) *string {
	return fs.String("encoding", textenc.Auto, "encoding of the export: "+textenc.Allowed+"; auto reads a byte-order mark, else UTF-8 or Windows-1252 from the text (docs/audit.md)")
}
