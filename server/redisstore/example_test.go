package redisstore_test

import (
	"fmt"

	"github.com/tollgate/tollgate/server/redisstore"
)

// A store URL names the server, TLS or not, the ACL user and the
// database; a password in it is refused (ps and logs would show it), and
// goes in Options.Password instead.
func ExampleParseURL() {
	for _, u := range []string{
		"redis://10.0.0.5/0",
		"rediss://tollgate@redis.example.com:6380/2",
		"redis://:s3cret@10.0.0.5:6379/0",
	} {
		t, err := redisstore.ParseURL(u)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s tls=%v user=%q db=%d\n", t.Addr, t.TLS, t.User, t.DB)
	}
	// Output:
	// 10.0.0.5:6379 tls=false user="" db=0
	// redis.example.com:6380 tls=true user="tollgate" db=2
	// redisstore: store URL: the URL holds a password, which ps and logs would show; give it in a file (serve --store-password-file) or $TOLLGATE_STORE_PASSWORD
}
