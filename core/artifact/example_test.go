package artifact_test

import (
	"fmt"
	"log"

	"github.com/tollgate/tollgate/core/artifact"
)

// Encode makes a data artifact; Parse verifies its header and checksum
// before a host hands the payload to an engine.
func ExampleParse() {
	file, err := artifact.Encode("passwords", "1", []byte("payload"))
	if err != nil {
		log.Fatal(err)
	}
	a, err := artifact.Parse(file)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Name, a.Version, string(a.Payload))

	file[len(file)-1] ^= 1 // one bit of the payload flipped
	_, err = artifact.Parse(file)
	fmt.Println(err != nil)
	// Output:
	// passwords 1 payload
	// true
}
