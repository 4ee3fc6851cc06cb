package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/tollgate/tollgate/core/srsv"
)

// SRSVStore is the srsv.Store of a Store's database: every pending cycle
// is a field of one hash, PREFIX "srsv", named by its branch, whose value
// is the token's SHA-256 in hex, the issue time and the expiry time (unix
// milliseconds), colon-separated. Each operation is one script, so a
// Take is atomic across replicas: of many concurrent redemptions of one
// token exactly one removes it. The digest is compared inside the script
// byte by byte without an early exit. Expired cycles stay until the
// branch gets a new one, until they are listed (dropped then) or until
// the hash holds srsv.MaxMemoryCycles cycles (swept then), as in
// srsv.MemoryStore.
type SRSVStore struct {
	s   *Store
	key string
}

// SRSV returns the srsv.Store in the same database.
func (s *Store) SRSV() *SRSVStore { return &SRSVStore{s: s, key: s.prefix + "srsv"} }

// Key is the hash's key.
func (v *SRSVStore) Key() string { return v.key }

// ErrFull is Create's error when the store holds srsv.MaxMemoryCycles
// cycles that have not expired: srsv.ErrStoreFull, as the memory store's,
// so that the service answers both alike (503 store_full).
var ErrFull = srsv.ErrStoreFull

// expiresOf is the Lua helper that reads a value's expiry.
const expiresOf = `local function expires(v) return tonumber(string.match(v, ':(%d+)$')) end
`

// createScript: ARGV[1] branch, ARGV[2] value, ARGV[3] issued (ms),
// ARGV[4] the maximum number of cycles.
var createScript = rueidis.NewLuaScript(expiresOf+`
local issued = tonumber(ARGV[3])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  if issued < expires(old) then return 'busy' end
elseif redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if expires(all[i+1]) <= issued then redis.call('HDEL', KEYS[1], all[i]) end
  end
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return 'full' end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 'ok'
`, rueidis.WithLoadSHA1(true))

// takeScript: ARGV[1] branch, ARGV[2] the digest in hex. The comparison
// looks at all 64 characters whatever they hold.
var takeScript = rueidis.NewLuaScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
local want, got = string.sub(v, 1, 64), ARGV[2]
if #want ~= 64 or #got ~= 64 then return false end
local diff = 0
for i = 1, 64 do
  diff = bit.bor(diff, bit.bxor(string.byte(want, i), string.byte(got, i)))
end
if diff ~= 0 then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
return v
`, rueidis.WithLoadSHA1(true))

// listScript: ARGV[1] now (ms). Drops the cycles expired at now and
// answers the others' branches and values.
var listScript = rueidis.NewLuaScript(expiresOf+`
local now = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  if expires(all[i+1]) <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    out[#out+1] = all[i]
    out[#out+1] = all[i+1]
  end
end
return out
`, rueidis.WithLoadSHA1(true))

func encodeCycle(c srsv.Cycle) string {
	return hex.EncodeToString(c.Digest[:]) + ":" + strconv.FormatInt(c.Issued.UnixMilli(), 10) + ":" +
		strconv.FormatInt(c.Expires.UnixMilli(), 10)
}

func decodeCycle(branch, v string) (srsv.Cycle, error) {
	c := srsv.Cycle{Branch: branch}
	d, rest, ok1 := strings.Cut(v, ":")
	issued, expires, ok2 := strings.Cut(rest, ":")
	i, err1 := strconv.ParseInt(issued, 10, 64)
	e, err2 := strconv.ParseInt(expires, 10, 64)
	n, err3 := hex.Decode(c.Digest[:], []byte(d))
	if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil || n != len(c.Digest) {
		return c, errors.New("redisstore: the provisioning cycle stored for branch " + strconv.Quote(branch) + " does not decode")
	}
	c.Issued, c.Expires = time.UnixMilli(i).UTC(), time.UnixMilli(e).UTC()
	return c, nil
}

func (v *SRSVStore) exec(ctx context.Context, l *rueidis.Lua, what string, args ...string) (rueidis.RedisMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, v.s.timeout)
	defer cancel()
	m, err := l.Exec(ctx, v.s.client, []string{v.key}, args).ToMessage()
	if err != nil && !rueidis.IsRedisNil(err) {
		return m, errors.New("redisstore: srsv " + what + ": " + err.Error())
	}
	return m, nil
}

// Create implements srsv.Store.
func (v *SRSVStore) Create(ctx context.Context, c srsv.Cycle) error {
	m, err := v.exec(ctx, createScript, "create", c.Branch, encodeCycle(c),
		strconv.FormatInt(c.Issued.UnixMilli(), 10), strconv.Itoa(srsv.MaxMemoryCycles))
	if err != nil {
		return err
	}
	switch s, _ := m.ToString(); s {
	case "ok":
		return nil
	case "busy":
		return srsv.ErrCycleInProgress
	case "full":
		return ErrFull
	}
	return errors.New("redisstore: srsv create: unexpected answer")
}

// Take implements srsv.Store.
func (v *SRSVStore) Take(ctx context.Context, branch string, d srsv.Digest) (srsv.Cycle, bool, error) {
	m, err := v.exec(ctx, takeScript, "take", branch, hex.EncodeToString(d[:]))
	if err != nil || m.IsNil() {
		return srsv.Cycle{}, false, err
	}
	s, err := m.ToString()
	if err != nil {
		return srsv.Cycle{}, false, errors.New("redisstore: srsv take: " + err.Error())
	}
	c, err := decodeCycle(branch, s)
	if err != nil {
		return srsv.Cycle{}, false, err
	}
	return c, true, nil
}

// List implements srsv.Store.
func (v *SRSVStore) List(ctx context.Context, now time.Time) ([]srsv.Cycle, error) {
	m, err := v.exec(ctx, listScript, "list", strconv.FormatInt(now.UnixMilli(), 10))
	if err != nil {
		return nil, err
	}
	flat, err := m.AsStrSlice()
	if err != nil && !m.IsNil() {
		return nil, errors.New("redisstore: srsv list: " + err.Error())
	}
	out := make([]srsv.Cycle, 0, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		c, err := decodeCycle(flat[i], flat[i+1])
		if err != nil {
			return nil, err
		}
		// Milliseconds: a cycle expiring within now's millisecond is
		// expired at now.
		if now.Before(c.Expires) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b srsv.Cycle) int { return strings.Compare(a.Branch, b.Branch) })
	return out, nil
}

// Delete implements srsv.Store.
func (v *SRSVStore) Delete(ctx context.Context, branch string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, v.s.timeout)
	defer cancel()
	n, err := v.s.client.Do(ctx, v.s.client.B().Hdel().Key(v.key).Field(branch).Build()).AsInt64()
	if err != nil {
		return false, errors.New("redisstore: srsv delete: " + err.Error())
	}
	return n > 0, nil
}
