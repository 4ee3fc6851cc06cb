// Command tgload puts a running `tollgate serve` (started with --policy
// cuc and the default tables) under load: /healthz as the baseline, then
// rounds of each request mix (PIN checks, dial checks, a mix of PIN and
// password checks), over a fixed number of connections, and prints
// throughput, p50/p99 and their ratios to the baseline measured in the
// same round, then the median ratio of each mix. With -pid it also prints
// the server's resident memory after each round.
//
//	tollgate serve --engine native --policy cuc &
//	go run ./cmd/internal/tgload -pid $! -n 20000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/tollgate/tollgate/cmd/internal/loadtest"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8700", "service base URL")
	conns := flag.Int("c", 64, "concurrent connections")
	n := flag.Int("n", 20000, "requests per round")
	rounds := flag.Int("rounds", 3, "rounds of each mix")
	mixes := flag.String("mix", "pin,dial,verdicts", "request mixes to run after the baseline, comma-separated: pin, dial, verdicts")
	pid := flag.Int("pid", 0, "server process id, to report its RSS")
	token := flag.String("token", os.Getenv("TOLLGATE_TOKEN"), "bearer token")
	flag.Parse()

	client := loadtest.NewClient(*conns)
	ctx := context.Background()
	type cost struct{ server, client float64 } // CPU µs per request
	costs := map[string][]cost{}
	run := func(name string, mix []loadtest.Request) loadtest.Result {
		s0, c0 := cpu(*pid), selfCPU()
		r := loadtest.Run(ctx, client, loadtest.Options{BaseURL: *url, Conns: *conns, Requests: *n, Mix: mix, Token: *token})
		s1, c1 := cpu(*pid), selfCPU()
		c := cost{float64(s1-s0) / float64(r.Requests), float64(c1-c0) / float64(r.Requests)}
		costs[name] = append(costs[name], c)
		cpuText := ""
		if *pid != 0 {
			cpuText = fmt.Sprintf("; CPU per request: server %.1f µs, client %.1f µs", c.server, c.client)
		}
		fmt.Printf("%-8s %v%s%s\n", name, r, rss(*pid), cpuText)
		if r.Errors != 0 {
			fmt.Fprintln(os.Stderr, "tgload: first error:", r.FirstError)
			os.Exit(1)
		}
		return r
	}
	var names []string
	var loads [][]loadtest.Request
	for _, name := range strings.Split(*mixes, ",") {
		mix, err := loadtest.Mix(strings.TrimSpace(name))
		if err != nil {
			fmt.Fprintln(os.Stderr, "tgload: -mix:", err)
			os.Exit(2)
		}
		names, loads = append(names, strings.TrimSpace(name)), append(loads, mix)
	}
	for _, mix := range loads { // connections, caches, instances' memory
		run("warm-up", mix)
	}
	// Each round measures its own baseline just before its mixes: on a
	// shared machine the throughput drifts from round to round, and a
	// ratio means something only within one stretch of time.
	ratios := make([][]float64, len(loads))
	for range *rounds {
		base := run("healthz", loadtest.Healthz)
		for i, mix := range loads {
			r := run(names[i], mix)
			ratio := r.PerSecond() / base.PerSecond()
			ratios[i] = append(ratios[i], ratio)
			fmt.Printf("         ratio to healthz: throughput %.2f, p50 %.2f, p99 %.2f\n",
				ratio, float64(r.P50)/float64(base.P50), float64(r.P99)/float64(base.P99))
		}
	}
	median := func(xs []float64) float64 { return slices.Sorted(slices.Values(xs))[len(xs)/2] }
	perReq := func(name string) (server, both float64) {
		var ss, bs []float64
		for _, c := range costs[name] {
			ss, bs = append(ss, c.server), append(bs, c.server+c.client)
		}
		return median(ss), median(bs)
	}
	hs, hb := perReq("healthz")
	for i, rs := range ratios {
		sorted := slices.Sorted(slices.Values(rs))
		fmt.Printf("%-8s throughput ratio to healthz over %d rounds: median %.2f, min %.2f, max %.2f\n",
			names[i], len(rs), sorted[len(sorted)/2], sorted[0], sorted[len(sorted)-1])
		if *pid != 0 {
			ms, mb := perReq(names[i])
			fmt.Printf("         CPU per request (medians): server %.1f µs (healthz %.1f), server+client %.1f µs (healthz %.1f): CPU ratio %.2f\n",
				ms, hs, mb, hb, hb/mb)
		}
	}
}

// cpu is the CPU time process pid has used, in µs (utime + stime from
// /proc/PID/stat, in clock ticks of 10 ms: Linux's USER_HZ is 100).
func cpu(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return (u + s) * 10_000
}

// selfCPU is the CPU time this process has used, in µs.
func selfCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano()/1000 + ru.Stime.Nano()/1000
}

// rss reads the resident set size of process pid from /proc.
func rss(pid int) string {
	if pid == 0 {
		return ""
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return "; server RSS " + strings.Join(strings.Fields(line)[1:], " ")
		}
	}
	return ""
}
