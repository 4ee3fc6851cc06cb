//go:build unix

package audit

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process has used. The
// machine is shared, so wall-clock rates swing with the neighbours' load;
// CPU time per row is the steadier figure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
