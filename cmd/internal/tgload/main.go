// Command tgload puts a running `tollgate serve` (started with --policy
// cuc) under load: /healthz as the baseline, then rounds of PIN and
// password checks, over a fixed number of connections, and prints
// throughput, p50/p99 and their ratios to the baseline. With -pid it also
// prints the server's resident memory after each round.
//
//	tollgate serve --engine native --policy cuc &
//	go run ./internal/server/loadtest/tgload -pid $! -n 20000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/tollgate/tollgate/internal/server/loadtest"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8700", "service base URL")
	conns := flag.Int("c", 64, "concurrent connections")
	n := flag.Int("n", 20000, "requests per round")
	rounds := flag.Int("rounds", 3, "rounds of verdict requests")
	pid := flag.Int("pid", 0, "server process id, to report its RSS")
	token := flag.String("token", os.Getenv("TOLLGATE_TOKEN"), "bearer token")
	flag.Parse()

	client := loadtest.NewClient(*conns)
	ctx := context.Background()
	run := func(name string, mix []loadtest.Request) loadtest.Result {
		r := loadtest.Run(ctx, client, loadtest.Options{BaseURL: *url, Conns: *conns, Requests: *n, Mix: mix, Token: *token})
		fmt.Printf("%-8s %v%s\n", name, r, rss(*pid))
		if r.Errors != 0 {
			fmt.Fprintln(os.Stderr, "tgload: first error:", r.FirstError)
			os.Exit(1)
		}
		return r
	}
	run("warm-up", loadtest.VerdictMix())
	base := run("healthz", loadtest.Healthz)
	for range *rounds {
		r := run("verdicts", loadtest.VerdictMix())
		fmt.Printf("         ratio to healthz: throughput %.2f, p50 %.2f, p99 %.2f\n",
			r.PerSecond()/base.PerSecond(), float64(r.P50)/float64(base.P50), float64(r.P99)/float64(base.P99))
	}
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
