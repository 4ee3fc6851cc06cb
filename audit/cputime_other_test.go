//go:build !unix

package audit

import "time"

// cpuTime is not measured here; the benchmarks report 0 CPU per row.
func cpuTime() time.Duration { return 0 }
