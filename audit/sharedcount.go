package audit

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/auditcore"
)

// sharedSpillAt is how many distinct PINs and stored PIN records the
// first pass holds in memory (about 12 bytes each) before it writes them
// to a temporary file. A file under it, most exports, never touches disk.
var sharedSpillAt = 1 << 19

// sharedCounter is the first pass's count of the shared-PIN digests. The
// distinct values of a file grow with it (3.4 million in 10 million rows,
// 45 MB of table), but the second pass asks only about the values held
// twice or more. So the counter holds packed tables (one per field, so a
// digest's field is known when it comes back) until they reach
// sharedSpillAt values, then writes them out shard by shard as a run of
// a temporary file and starts afresh; finish merges the runs one shard
// at a time. Its memory is bounded by sharedSpillAt whatever the size of
// the file, and what it yields is exact: the runs' counts add up.
//
// The file holds keyed digests only (the key never leaves the process),
// and it is unlinked as soon as it is made, so it does not outlive the
// run even when the run is killed. When no temporary file can be made,
// counting goes on in memory, with a note.
type sharedCounter struct {
	mem     [2]*auditcore.Table // by fieldSlot
	n       int                 // distinct values in mem
	spillAt int
	warn    func(string, ...any)

	f    *os.File
	w    *bufio.Writer
	off  int64
	runs [][2][auditcore.Shards + 1]int64 // each run's shard offsets, by field
	err  error
}

func newSharedCounter(warn func(string, ...any)) *sharedCounter {
	return &sharedCounter{
		mem:     [2]*auditcore.Table{auditcore.NewTable(), auditcore.NewTable()},
		spillAt: sharedSpillAt,
		warn:    warn,
	}
}

// fieldSlot is the table a field's digests are counted in.
func fieldSlot(f export.Field) int {
	if f == export.PIN {
		return 0
	}
	return 1
}

var slotField = [2]export.Field{export.PIN, export.PINHash}

// add counts one more holder of digest d of field f.
func (c *sharedCounter) add(f export.Field, d uint64) {
	if c.mem[fieldSlot(f)].Add(d) != 1 {
		return
	}
	if c.n++; c.spillAt > 0 && c.n >= c.spillAt && c.err == nil {
		c.spill()
	}
}

// spill writes the tables out as one run and empties them.
func (c *sharedCounter) spill() {
	if c.f == nil {
		f, err := os.CreateTemp("", "tollgate-shared-*")
		if err != nil {
			c.warn("audit: counting shared PINs in memory: no temporary file (%v); TMPDIR chooses where it goes", err)
			c.spillAt = 0
			return
		}
		// Open, it lives until closed; unlinked, nothing is left behind.
		// (Windows cannot unlink an open file: close removes it there.)
		os.Remove(f.Name())
		c.f, c.w = f, bufio.NewWriterSize(f, 64<<10)
	}
	var run [2][auditcore.Shards + 1]int64
	var b [8]byte
	for slot, t := range c.mem {
		for sh := range auditcore.Shards {
			run[slot][sh] = c.off
			for d, n := range t.Shard(sh) {
				binary.LittleEndian.PutUint64(b[:], d|uint64(n))
				c.w.Write(b[:])
				c.off += 8
			}
		}
		run[slot][auditcore.Shards] = c.off
	}
	if err := c.w.Flush(); err != nil {
		c.err = fmt.Errorf("counting shared PINs: writing the temporary file: %w", err)
		return
	}
	c.runs = append(c.runs, run)
	for _, t := range c.mem {
		t.Reset() // its slots are the size the next run needs
	}
	c.n = 0
}

// finish yields every digest held twice or more with its field and count
// (at most auditcore.Saturated), and returns the number of distinct
// values. The counter is spent.
func (c *sharedCounter) finish(yield func(f export.Field, d uint64, n int) error) (distinct int, err error) {
	defer c.close()
	if c.err != nil {
		return 0, c.err
	}
	if len(c.runs) == 0 {
		for slot, t := range c.mem {
			for d, n := range t.Entries() {
				distinct++
				if n >= 2 {
					if err := yield(slotField[slot], d, n); err != nil {
						return 0, err
					}
				}
			}
		}
		return distinct, nil
	}
	counts := map[uint64]int{}
	var buf []byte
	for slot, t := range c.mem {
		for sh := range auditcore.Shards {
			clear(counts)
			for _, run := range c.runs {
				lo, hi := run[slot][sh], run[slot][sh+1]
				if int64(cap(buf)) < hi-lo {
					buf = make([]byte, hi-lo)
				}
				buf = buf[:hi-lo]
				if _, err := c.f.ReadAt(buf, lo); err != nil && err != io.EOF {
					return 0, fmt.Errorf("counting shared PINs: reading the temporary file: %w", err)
				}
				for i := 0; i+8 <= len(buf); i += 8 {
					v := binary.LittleEndian.Uint64(buf[i:])
					d := v &^ 0xFF
					counts[d] = min(counts[d]+int(v&0xFF), auditcore.Saturated)
				}
			}
			for d, n := range t.Shard(sh) {
				counts[d] = min(counts[d]+n, auditcore.Saturated)
			}
			distinct += len(counts)
			for d, n := range counts {
				if n >= 2 {
					if err := yield(slotField[slot], d, n); err != nil {
						return 0, err
					}
				}
			}
		}
	}
	return distinct, nil
}

// close releases the temporary file and the tables.
func (c *sharedCounter) close() {
	if c.f != nil {
		c.f.Close()
		os.Remove(c.f.Name())
		c.f, c.w = nil, nil
	}
	c.mem = [2]*auditcore.Table{}
}
