package credential_test

import (
	"fmt"

	"github.com/tollgate/tollgate/core/credential"
)

// A PIN hashed with MD5 by an old system verifies outside FIPS mode, with
// advice to migrate; under FIPS mode it is a legacy hash that must be reset,
// and the record made to replace it verifies.
func ExampleVerify() {
	const record = "{MD5}4QrcOUm6Wau+VuBX8g+IPg==" // slappasswd -h {MD5} -s 123456
	res := credential.Verify(record, "123456", credential.Options{Target: credential.SSHA256})
	fmt.Println(res.Verified, res.Reason, res.Scheme, res.Rehash, res.RehashTo)

	res = credential.Verify(record, "123456", credential.Options{FIPS: true})
	fmt.Println(res.Verified, res.Reason)

	fresh, _ := credential.Make(credential.SSHA256, "123456", []byte("8bytes!!"))
	fmt.Println(credential.Verify(fresh, "123456", credential.Options{FIPS: true}).Reason)
	// Output:
	// true ok {MD5} true {SSHA256}
	// false fips_legacy_hash
	// ok
}

// An audit parses a record once and tries candidates against it.
func ExampleParse() {
	r, err := credential.Parse("{SSHA}sJYXZrLtflNSGfCgL7Zarbiu+Wbz/Rx+")
	if err != nil {
		panic(err)
	}
	for _, guess := range []string{"123456", "secret"} {
		fmt.Println(r.Verify(guess))
	}
	fmt.Println(r)
	// Output:
	// false
	// true
	// {SSHA} record
}
