package auditcore

import (
	"strconv"
	"strings"
	"sync"
	"testing"
)

// A class of service the tables lack is checked under their first and
// warned about once per name, for the first maxCOSWarnings names, then
// once for all the rest, however many workers ask at once.
func TestTablesCOS(t *testing.T) {
	var mu sync.Mutex
	var warnings []string
	c := New(Config{Warn: func(msg string) {
		mu.Lock()
		warnings = append(warnings, msg)
		mu.Unlock()
	}})
	c.cos, c.fallbackCOS = map[string]bool{"Default": true, "Staff": true}, "Default"

	names := []string{"", "Staff"}
	for i := range maxCOSWarnings + 10 {
		names = append(names, "Lobby "+strconv.Itoa(i))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for range 50 {
				for i := range names {
					name := names[(i+w*7)%len(names)]
					want := "Default"
					if name == "Staff" {
						want = "Staff"
					}
					if got := c.TablesCOS(name); got != want {
						t.Errorf("TablesCOS(%q) = %q, want %q", name, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()

	named, more := map[string]int{}, 0
	for _, w := range warnings {
		switch {
		case strings.Contains(w, "more classes of service"):
			more++
		case strings.Contains(w, "class of service "):
			named[w]++
		default:
			t.Errorf("unexpected warning %q", w)
		}
	}
	if len(named) != maxCOSWarnings || more != 1 {
		t.Errorf("%d names warned about and %d summary warnings, want %d and 1:\n%s",
			len(named), more, maxCOSWarnings, strings.Join(warnings, "\n"))
	}
	for w, n := range named {
		if n != 1 {
			t.Errorf("warned %d times: %q", n, w)
		}
	}
	if strings.Contains(strings.Join(warnings, "\n"), `"Staff" is not`) {
		t.Errorf("a class of service the tables define was warned about")
	}
}
