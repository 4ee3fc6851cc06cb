// Command gencsv writes fictional user exports for the audit: the bundled
// sample (testdata/csv/sample-users.csv, with its few broken rows) and the
// large files the benchmarks read (written under /tmp, never committed).
//
//	go run ./cmd/internal/gencsv -sample -o testdata/csv/sample-users.csv
//	go run ./cmd/internal/gencsv -n 1000000 -o /tmp/users-1m.csv
//
// The output is a function of -n, -seed and -sample only, so a committed
// sample can be checked against its generator. Every person, number and
// credential in it is made up; the PINs are test data, chosen by a seeded
// generator precisely so that they are reproducible.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/credential"
)

func main() {
	n := flag.Int("n", 300, "data rows to write")
	out := flag.String("o", "", "output `file` (required)")
	seed := flag.Uint64("seed", 6, "random seed")
	sample := flag.Bool("sample", false, "the bundled sample: a few broken rows and a UTF-8 BOM")
	hashes := flag.Bool("hashes", true, "include stored PIN and password records (an LDAP-style export); false gives a BAT import file: plaintext PINs, passwords and numbers only")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gencsv: -o is required")
		os.Exit(2)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencsv:", err)
		os.Exit(2)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	g := &gen{r: rand.New(rand.NewPCG(*seed, 0x7011)), sample: *sample, hashes: *hashes}
	err = g.write(w, *n)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencsv:", err)
		os.Exit(1)
	}
}

var header = []string{
	"Alias", "First Name", "Last_Name", "Extension", "AlternateExtensions", "PIN", "Password",
	"PinHash", "PasswordHash", "COS", "TransferNumber", "NotificationNumber", "Active_Pager",
	"FaxNumber", "DateOfBirth", "Junk",
}

var (
	firsts = strings.Fields("Ava Liam Noah Emma Olivia Mateo Sofia Lucas Mia Ethan Amara Kenji Priya Chloé " +
		"Zoë Jürgen Siobhán Tomás Ingrid Wei Aisha Rafael Hannah Diego Freya Omar Lena Yusuf Nora Arjun " +
		"Elif Marco Sanne Hugo Imani Pavel Astrid Kofi Lucía Dmitri Maeve Tariq Ines Bjorn Camille Rhys")
	lasts = strings.Fields("Nguyen Okafor Schmidt García Rossi Kowalski Tanaka Haddad O'Brien Dubois " +
		"Johansson Patel Silva Novak Murphy Yilmaz Fischer Moreau Larsen Costa Kim Mensah Ivanova Walsh " +
		"Bauer Hughes Romano Sato Cohen Andersen Petrov Reyes Lindqvist Müller Fraser Castillo Ahmed Byrne")
	coses = []string{"Voice Mail User COS", "Voice Mail User COS", "Voice Mail User COS", "Executives", "Contractors", "Lobby Phones"}
)

type gen struct {
	r      *rand.Rand
	sample bool
	hashes bool
}

// templatePIN is the one PIN a user template gave a batch of accounts.
const templatePIN = "739146"

func (g *gen) write(w *bufio.Writer, n int) error {
	if g.sample {
		w.WriteString("\ufeff")
	}
	w.WriteString(strings.Join(header, ",") + "\r\n")
	broken := map[int]string{}
	if g.sample {
		for i, kind := range []string{"quote", "count", "utf8", "bare", "count"} {
			broken[n/6*(i+1)+i] = kind
		}
	}
	used := map[string]bool{}
	for i := 0; i < n; i++ {
		row := g.row(i, used)
		switch broken[i] {
		case "quote": // an address-like value whose closing quote was lost
			row[1] = `"` + row[1]
		case "count":
			row = row[:len(row)-3]
		case "utf8":
			row[2] = row[2] + "\xff\xfe"
		case "bare":
			row[2] = `O"Neil`
		}
		for j, v := range row {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteString(quote(v, (broken[i] == "quote" && j == 1) || (broken[i] == "bare" && j == 2)))
		}
		if _, err := w.WriteString("\r\n"); err != nil {
			return err
		}
	}
	return nil
}

func quote(v string, raw bool) string {
	if raw || !strings.ContainsAny(v, ",\"\r\n") {
		return v
	}
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
}

func (g *gen) pick(l []string) string { return l[g.r.IntN(len(l))] }

func (g *gen) row(i int, used map[string]bool) []string {
	r := g.r
	first, last := g.pick(firsts), g.pick(lasts)
	alias := strings.ToLower(asciiFold(first[:1]+last)) + strconv.Itoa(i%1000)
	if !g.sample {
		alias = strings.ToLower(asciiFold(first[:1]+last)) + strconv.Itoa(i)
	}
	ext := strconv.Itoa(20000 + i%70000)
	alt := ""
	if r.IntN(8) == 0 {
		alt = "8" + ext[1:] + ";" + "44" + ext
	}
	dob := ""
	if r.IntN(3) > 0 {
		dob = fmt.Sprintf("%04d-%02d-%02d", 1955+r.IntN(48), 1+r.IntN(12), 1+r.IntN(28))
	}
	pin := ""
	switch k := r.IntN(20); {
	case k < 8:
		pin = g.goodPIN(ext, first, last, dob, used)
	case k == 8:
		pin = "123456"
	case k == 9:
		pin = ext
	case k == 10:
		pin = reverse(ext)
	case k == 11 && dob != "":
		pin = dob[5:7] + dob[8:10] + dob[0:4]
	case k == 12:
		pin = core.NameDigits(last)
	case k == 13:
		pin = templatePIN
	case k == 14:
		pin = strings.Repeat(strconv.Itoa(r.IntN(10)), 6)
	case k == 15:
		pin = "2580"
	}
	pinHash := ""
	if pin == "" && r.IntN(3) > 0 {
		// A stored record instead of a plaintext PIN.
		var p string
		switch r.IntN(5) {
		case 0:
			p = "1234"
		case 1:
			p = ext
		case 2:
			p = templatePIN
		default:
			p = g.goodPIN(ext, first, last, dob, used)
		}
		pinHash = g.record(p)
	}
	pw, pwHash := "", ""
	switch r.IntN(10) {
	case 0:
		pw = "Password1"
	case 1:
		pw = strings.ToLower(asciiFold(last)) + "2024"
	case 2, 3:
		pw = g.goodPassword()
	case 4:
		pwHash = g.recordPassword("Welcome1")
	case 5:
		pwHash = g.recordPassword(g.goodPassword())
	}
	cos := g.pick(coses)
	transfer, notify, pager, fax := "", "", "", ""
	if r.IntN(3) == 0 {
		transfer = g.number(i)
	}
	if r.IntN(4) == 0 {
		notify = g.number(i + 7)
	}
	if r.IntN(10) == 0 {
		pager = g.number(i + 3)
	}
	if r.IntN(12) == 0 {
		fax = g.number(i + 5)
	}
	if r.IntN(15) == 0 {
		dob = "%null%"
	}
	if !g.hashes {
		pinHash, pwHash = "", ""
	}
	return []string{alias, first, last, ext, alt, pin, pw, pinHash, pwHash, cos, transfer, notify, pager, fax, dob, ""}
}

// goodPIN is a random PIN that the cuc policy accepts for this user.
func (g *gen) goodPIN(ext, first, last, dob string, used map[string]bool) string {
	p, _ := core.Profile("cuc")
	c := core.PINContext{Extensions: []string{ext}, FirstName: first, LastName: last, DateOfBirth: dob}
	var v core.Verdict
	for {
		b := make([]byte, 6+g.r.IntN(3))
		for i := range b {
			b[i] = byte('0' + g.r.IntN(10))
		}
		s := string(b)
		p.CheckPIN(s, &c, &v)
		if v.Accepted && (!g.sample || !used[s]) {
			if g.sample {
				used[s] = true
			}
			return s
		}
	}
}

func (g *gen) goodPassword() string {
	const a = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%&*+-=?"
	b := make([]byte, 12+g.r.IntN(6))
	for i := range b {
		b[i] = a[g.r.IntN(len(a))]
	}
	return string(b)
}

// record stores a PIN the way the exports do: mostly SHA-1 family, some
// legacy MD5, a few PBKDF2 (sample only: each costs milliseconds to try).
func (g *gen) record(pin string) string {
	schemes := []credential.Scheme{credential.SHA, credential.SSHA, credential.HexSHA1, credential.SSHA256, credential.MD5, credential.HexMD5, credential.SMD5}
	if g.sample {
		schemes = append(schemes, credential.PBKDF2SHA256)
	}
	s := schemes[g.r.IntN(len(schemes))]
	salt := make([]byte, s.SaltLen())
	for i := range salt {
		salt[i] = byte(g.r.IntN(256))
	}
	rec, err := credential.MakeIterations(s, pin, salt, 1000)
	if err != nil {
		panic(err)
	}
	return rec
}

func (g *gen) recordPassword(pw string) string {
	s := []credential.Scheme{credential.SSHA, credential.SSHA256, credential.SMD5}[g.r.IntN(3)]
	salt := make([]byte, s.SaltLen())
	for i := range salt {
		salt[i] = byte(g.r.IntN(256))
	}
	rec, err := credential.Make(s, pw, salt)
	if err != nil {
		panic(err)
	}
	return rec
}

// number is a stored phone number: mostly local and national numbers
// behind the trunk access code 9, some of the toll-fraud shapes the
// default tables block (international, premium 1-900, operator).
func (g *gen) number(i int) string {
	r := g.r
	switch k := r.IntN(40); {
	case k < 22:
		return fmt.Sprintf("9%03d%04d", 200+r.IntN(700), r.IntN(10000))
	case k < 32:
		return strconv.Itoa(20000 + (i*7)%70000)
	case k < 35:
		return fmt.Sprintf("91%03d%03d%04d", 201+r.IntN(700), 200+r.IntN(700), r.IntN(10000))
	case k == 35:
		return fmt.Sprintf("9011%d%09d", 33+r.IntN(60), r.IntN(1000000000))
	case k == 36:
		return fmt.Sprintf("91900%07d", r.IntN(10000000))
	case k == 37:
		return "900"
	case k == 38:
		return fmt.Sprintf("91876%07d", r.IntN(10000000))
	}
	return fmt.Sprintf("9-%03d-%04d", 200+r.IntN(700), r.IntN(10000))
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func asciiFold(s string) string {
	return strings.NewReplacer("é", "e", "ë", "e", "ü", "u", "á", "a", "í", "i", "ó", "o", "ç", "c", "'", "").Replace(s)
}
