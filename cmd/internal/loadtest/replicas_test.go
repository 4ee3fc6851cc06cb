package loadtest_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/cmd/internal/loadtest"
	"github.com/tollgate/tollgate/internal/redistest"
	"github.com/tollgate/tollgate/server"
	"github.com/tollgate/tollgate/server/redisstore"
)

// BenchmarkSigninReplicas is issue 17's target: sign-in events per second
// through two replicas on one Redis against one replica on the memory
// store, 64 connections in both, each replica a server.Server (native
// engine, cuc) on a real listener, the load cmd/internal/loadtest's
// signin mix (1000 users, a failure then a success each, every answer
// checked). Both run in one process, so they share its CPU; Redis is its
// own process. redis-2 sends each event to the other replica than the
// user's previous one. Reports events/s, p99 and CPU per event (docs/performance.md):
//
//	flock /work/helpers/heavy.lock go test -run '^$' -bench BenchmarkSigninReplicas -benchtime 20000x -count 5 ./cmd/internal/loadtest
func BenchmarkSigninReplicas(b *testing.B) {
	rs := redistest.Start(b)
	serve := func(st server.Store) string {
		srv, err := server.New(server.Config{Engine: api.NewSession(), Policy: api.Profile("cuc"), Store: st})
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewUnstartedServer(srv.Handler())
		ts.Config = srv.HTTPServer()
		ts.Start()
		b.Cleanup(ts.Close)
		return ts.URL
	}
	redisReplica := func() string {
		st, err := redisstore.Open(redisstore.Options{URL: rs.URL(0)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(st.Close)
		return serve(st)
	}
	memory := []string{serve(server.NewMemoryStore())}
	redis := []string{redisReplica(), redisReplica()}
	const conns = 64
	client := loadtest.NewClient(conns)
	mix := loadtest.SigninMix(1000)
	for _, tc := range []struct {
		name string
		urls []string
	}{
		{"memory-1", memory},
		// Each event to the other replica than the user's last: every
		// update starts from a value this replica does not know.
		{"redis-2", redis},
	} {
		b.Run(tc.name, func(b *testing.B) {
			// Warm: connections open, users known, scripts loaded.
			loadtest.Run(context.Background(), client, loadtest.Options{BaseURLs: tc.urls, Conns: conns, Requests: 2 * len(mix), Mix: mix})
			b.ResetTimer()
			redis0, self0, cmds0 := redisCPU(b, rs), selfCPU(), redisCalls(b, rs)
			r := loadtest.Run(context.Background(), client, loadtest.Options{BaseURLs: tc.urls, Conns: conns, Requests: max(b.N, conns), Mix: mix})
			redis1, self1, cmds1 := redisCPU(b, rs), selfCPU(), redisCalls(b, rs)
			b.StopTimer()
			if r.Errors > 0 {
				b.Fatalf("%d errors; first: %s", r.Errors, r.FirstError)
			}
			b.ReportMetric(r.PerSecond(), "events/s")
			b.ReportMetric(float64(r.P99.Microseconds()), "p99-µs")
			b.ReportMetric((self1-self0).Seconds()*1e6/float64(r.Requests), "proc-cpu-µs/event")
			b.ReportMetric((redis1-redis0)*1e6/float64(r.Requests), "redis-cpu-µs/event")
			b.ReportMetric(float64(cmds1-cmds0)/float64(r.Requests), "redis-cmds/event")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// redisCPU is the CPU time redis-server has used, in seconds (INFO cpu).
func redisCPU(b *testing.B, rs *redistest.Server) float64 {
	var total float64
	for _, line := range strings.Split(rs.CLI("INFO", "cpu"), "\n") {
		for _, k := range []string{"used_cpu_sys:", "used_cpu_user:"} {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), k); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					b.Fatal(err)
				}
				total += f
			}
		}
	}
	return total
}

// selfCPU is this process's CPU time (the replicas and the load client).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCalls is the number of commands Redis has run (INFO stats).
func redisCalls(b *testing.B, rs *redistest.Server) int64 {
	for _, line := range strings.Split(rs.CLI("INFO", "stats"), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_commands_processed:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n - 1 // INFO itself
		}
	}
	b.Fatal("INFO stats has no total_commands_processed")
	return 0
}
