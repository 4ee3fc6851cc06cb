package redisstore_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate/core/srsv"
	"github.com/tollgate/tollgate/internal/redistest"
	"github.com/tollgate/tollgate/server"
	"github.com/tollgate/tollgate/server/redisstore"
)

// ACLRule is the Redis ACL docs/deploy.md gives the service's user: its
// keys only, and only the commands the store sends.
const ACLRule = "on ~tollgate:* resetchannels -@all +get +set +del +hget +hset +hdel +hlen +hgetall +zadd +zcard +zremrangebyscore +zremrangebyrank +pexpire +evalsha +eval +script|load +ping +hello +auth +select +client|setname +client|info"

// TestACLUser: the store works as an ACL user with exactly the rule
// docs/deploy.md gives (sign-in updates, SRSV, velocity counters, PING), and that user can
// neither read keys outside its prefix nor run FLUSHALL or CONFIG.
func TestACLUser(t *testing.T) {
	rs := redistest.Start(t)
	rs.CLI(append([]string{"ACL", "SETUSER", "tollgate", ">acl-Pa55"}, strings.Fields(ACLRule)...)...)
	u := strings.Replace(rs.URL(0), "redis://", "redis://tollgate@", 1)
	s, err := redisstore.Open(redisstore.Options{URL: u, Password: "acl-Pa55"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	k := server.Key{Kind: "pin", User: "gina"}
	var calls atomic.Int64
	for range 2 {
		if err := s.Update(ctx, k, fail(&calls)); err != nil {
			t.Fatalf("update as the ACL user: %v", err)
		}
	}
	m := srsv.New(srsv.Options{Store: s.SRSV()})
	tok, _, err := m.Issue(ctx, time.Now(), strings.NewReader(strings.Repeat("x", 16)), "b1")
	if err != nil {
		t.Fatalf("SRSV issue as the ACL user: %v", err)
	}
	if _, err := m.Pending(ctx, time.Now()); err != nil {
		t.Fatalf("SRSV list as the ACL user: %v", err)
	}
	if err := m.Redeem(ctx, time.Now(), "b1", tok.Reveal()); err != nil {
		t.Fatalf("SRSV redeem as the ACL user: %v", err)
	}
	m.Issue(ctx, time.Now(), strings.NewReader(strings.Repeat("y", 16)), "b2")
	if err := m.Revoke(ctx, "b2"); err != nil {
		t.Fatalf("SRSV revoke as the ACL user: %v", err)
	}
	if n := failures(t, s, k); n != 2 {
		t.Errorf("%d failures, want 2", n)
	}
	// Velocity counters (sorted sets; the script's commands are checked
	// against the rule too).
	w := []server.Window{{Key: "velocity:caller:high:600s:2001", Span: 10 * time.Minute, Max: 1, Enforce: true}}
	for i, want := range []int{-1, 0} {
		if full, err := s.Admit(ctx, time.Now(), w); err != nil || full != want {
			t.Fatalf("velocity call %d as the ACL user: %d, %v; want %d", i, full, err, want)
		}
	}
	// What the user may not do.
	rs.CLI("SET", "other:key", "x")
	cli := []string{"--user", "tollgate", "--pass", "acl-Pa55", "--no-auth-warning"}
	for _, cmd := range [][]string{{"GET", "other:key"}, {"FLUSHALL"}, {"CONFIG", "GET", "dir"}, {"KEYS", "*"}} {
		if out := rs.CLI(append(cli, cmd...)...); !strings.Contains(out, "NOPERM") {
			t.Errorf("the ACL user ran %v: %s", cmd, out)
		}
	}
}
