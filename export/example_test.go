package export_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/tollgate/tollgate/export"
)

// Reading a BAT export: the header names the columns in its own words,
// every row comes with its line, and a broken row is reported (without
// its text) while the next is read.
func ExampleOpen() {
	const users = "User ID,Voicemail PIN,Class Of Service,Active_Pager,City\r\n" +
		"ann,739146,Staff,95551234,Oslo\r\n" +
		"bob,80\"2417,Lobby,%null%,Bergen\r\n" + // a stray quote
		"cid,%null%,Staff,,\"Troms\u00f8\r\nNorway\"\r\n"
	r, layout, err := export.Open(strings.NewReader(users), export.Auto)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ignored:", layout.Ignored())
	for _, n := range layout.Numbers() {
		fmt.Printf("column %d is a phone number (%s, under the %s feature)\n", n.Index+1, n.Field, n.Field.Feature())
	}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		switch {
		case err != nil:
			fmt.Println(err)
			return
		case row.Bad != "":
			fmt.Printf("line %d: %s\n", row.Line, row.Bad)
		default:
			fmt.Printf("line %d: %s, class of service %s, PIN given: %v\n", row.Line,
				layout.Get(row.Fields, export.Alias), layout.Get(row.Fields, export.COS), layout.Get(row.Fields, export.PIN) != "")
		}
	}
	fmt.Println("read as", r.Encoding())
	// Output:
	// ignored: [City]
	// column 4 is a phone number (active_pager, under the outdial feature)
	// line 2: ann, class of service Staff, PIN given: true
	// line 3: broken quoting: a quote inside an unquoted field at line 3 column 7
	// line 4: cid, class of service Staff, PIN given: false
	// read as utf-8
}

// The header names a field may have, normalized: lower case, without
// spaces or underscores.
func ExampleNames() {
	fmt.Println(export.Names(export.Extension))
	fmt.Println(export.Names(export.COS))
	// Output:
	// [extension directorynumber dn primaryextension dtmfaccessid]
	// [cos classofservice cosdisplayname cosname]
}
