package core

import "testing"

// benchPINs is a mix of accepted and refused PINs the benchmarks cycle
// through, with one context that gives every rule something to look at.
var (
	benchPINs   = []string{"739164", "408408", "28883", "012345", "2580", "627436", "251290", "90471136", "1234", "36697"}
	benchPINCtx = PINContext{
		Extensions:  []string{"36697", "4711"},
		FirstName:   "Zoë",
		LastName:    "O'Brien",
		DateOfBirth: "1990-07-04",
		Year:        2026,
		Previous:    []string{"111111", "246810", "135790", "902211", "555123"},
	}
	benchPasswords = []string{"Tr0ub4dor&3xyz!", "!Cooool", "abcdef", "Xjsmith1!", "password", "Summer 2024 in Oslo", "correct horse battery staple", "Pw1!36697x"}
	benchPWCtx     = PasswordContext{
		Alias:      "jsmith",
		Extensions: []string{"36697"},
		Old:        "Tr0ub4dor&3xyz?",
		Previous:   []string{"Winter 2023 in Rome", "Spring 2024 in Lima"},
	}
)

func BenchmarkCheckPIN(b *testing.B) {
	for _, name := range ProfileNames() {
		p, err := Profile(name)
		if err != nil {
			b.Fatal(err)
		}
		want := make([]int, len(benchPINs))
		for i, pin := range benchPINs {
			var v Verdict
			p.CheckPIN(pin, &benchPINCtx, &v)
			want[i] = len(v.Reasons)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var v Verdict
			i := 0
			for b.Loop() {
				p.CheckPIN(benchPINs[i], &benchPINCtx, &v)
				if len(v.Reasons) != want[i] || v.Accepted != (want[i] == 0) {
					b.Fatalf("CheckPIN(#%d) = %s, want %d reasons", i, dump(&v), want[i])
				}
				if i++; i == len(benchPINs) {
					i = 0
				}
			}
		})
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	benchPWCtx.Breached = testPasswords(b) // nist-800-63b-4's blocklist
	for _, name := range ProfileNames() {
		p, err := Profile(name)
		if err != nil {
			b.Fatal(err)
		}
		want := make([]int, len(benchPasswords))
		for i, pw := range benchPasswords {
			var v Verdict
			p.CheckPassword(pw, &benchPWCtx, &v)
			want[i] = len(v.Reasons)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var v Verdict
			i := 0
			for b.Loop() {
				p.CheckPassword(benchPasswords[i], &benchPWCtx, &v)
				if len(v.Reasons) != want[i] || v.Accepted != (want[i] == 0) {
					b.Fatalf("CheckPassword(#%d) = %s, want %d reasons", i, dump(&v), want[i])
				}
				if i++; i == len(benchPasswords) {
					i = 0
				}
			}
		})
	}
}

// TestCheckPINBenchmarkNoAlloc is the benchmark-based guard (as wazero's
// leb128_alloc_test): with every PIN rule switched on, the benchmark loop
// allocates nothing.
func TestCheckPINBenchmarkNoAlloc(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark")
	}
	p, err := Profile(ProfileNIST)
	if err != nil {
		t.Fatal(err)
	}
	p.PIN.Trivial, p.PIN.ExchangeCommonPatterns, p.PIN.History = true, true, 5
	res := testing.Benchmark(func(b *testing.B) {
		var v Verdict
		for i := 0; b.Loop(); i++ {
			p.CheckPIN(benchPINs[i%len(benchPINs)], &benchPINCtx, &v)
		}
	})
	if a := res.AllocsPerOp(); a != 0 {
		t.Fatalf("CheckPIN allocates %d times per call, want 0", a)
	}
}
