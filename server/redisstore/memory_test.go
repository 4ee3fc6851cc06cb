package redisstore_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/redistest"
	"github.com/tollgate/tollgate/server"
)

// usedMemory is INFO memory's used_memory, in bytes.
func usedMemory(t *testing.T, rs *redistest.Server) int64 {
	t.Helper()
	for _, line := range strings.Split(rs.CLI("INFO", "memory"), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("INFO memory has no used_memory")
	return 0
}

// TestBytesPerUser measures what a user costs in Redis: the state after
// one failed sign-in (the common case: a user inside the failure window),
// with its expiry, written through the store. 20 000 users by default;
// docs/deploy.md's figure is TOLLGATE_REDIS_USERS=1000000.
func TestBytesPerUser(t *testing.T) {
	n := 20000
	if v := os.Getenv("TOLLGATE_REDIS_USERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			t.Fatalf("TOLLGATE_REDIS_USERS=%q: want a number of at least 1000", v)
		}
	}
	rs := redistest.Start(t)
	s := open(t, rs, 0)
	now := time.Now()
	res, err := api.NewSession().SignIn(context.Background(), &api.SignInRequest{Policy: api.Profile("cuc"),
		Event: api.SignInEvent{Type: "signin", At: now.UTC().Format(time.RFC3339Nano)}})
	if err != nil {
		t.Fatal(err)
	}
	entry := server.Entry{State: res.State, ForgetAt: now.Add(30 * time.Minute)}
	before := usedMemory(t, rs)
	var wg sync.WaitGroup
	const workers = 64
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				k := server.Key{Kind: "pin", User: "user" + strconv.Itoa(1000000+i) + "@example.com"}
				err := s.Update(context.Background(), k, func(*api.SignInState) (server.Entry, error) { return entry, nil })
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := strings.TrimSpace(rs.CLI("DBSIZE")); got != strconv.Itoa(n) {
		t.Fatalf("DBSIZE %s, want %d", got, n)
	}
	per := float64(usedMemory(t, rs)-before) / float64(n)
	one := strings.TrimSpace(rs.CLI("MEMORY", "USAGE", "tollgate:signin:pin:user1000000@example.com"))
	t.Logf("%d users: %.1f bytes per user in used_memory; MEMORY USAGE of one key: %s bytes; the value is %d bytes",
		n, per, one, len(api.Append(nil, &entry.State)))
	if per > 450 {
		t.Errorf("%.0f bytes per user; docs/deploy.md says about 370", per)
	}
}
