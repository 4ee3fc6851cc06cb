package core

import (
	"strings"
	"testing"
)

// dump renders a verdict canonically, one token per reason:
// code@start-end(detail)/limit, each part only when set.
func dump(v *Verdict) string {
	var b strings.Builder
	for i, r := range v.Reasons {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(r.Code))
		if r.HasSpan {
			b.WriteString("@" + itoa(r.Start) + "-" + itoa(r.End))
		}
		if r.Detail != "" {
			b.WriteString("(" + r.Detail + ")")
		}
		if r.Limit != 0 {
			b.WriteString("/" + itoa(r.Limit))
		}
	}
	return b.String()
}

func pinPolicy(min int, set func(*PINPolicy)) *Policy {
	p := &Policy{PIN: PINPolicy{CredentialRule: CredentialRule{MinLength: min, MaxLength: PINLengthCap}}}
	if set != nil {
		set(&p.PIN)
	}
	return p
}

var (
	trivialPIN  = pinPolicy(4, func(r *PINPolicy) { r.Trivial = true })
	trivialPIN3 = pinPolicy(3, func(r *PINPolicy) { r.Trivial = true })
	exchangePIN = pinPolicy(4, func(r *PINPolicy) { r.ExchangeCommonPatterns = true })
	ringPIN     = pinPolicy(4, func(r *PINPolicy) { r.Trivial, r.SequenceWraps = true, true })
	ringExPIN   = pinPolicy(4, func(r *PINPolicy) { r.ExchangeCommonPatterns, r.SequenceWraps = true, true })
	datesPIN    = pinPolicy(4, func(r *PINPolicy) { r.Dates = true })
	commonPINs  = pinPolicy(4, func(r *PINPolicy) { r.Blocklist = true })
	keypad3PIN  = pinPolicy(4, func(r *PINPolicy) { r.KeypadContainsMin = 3 })
	historyPIN  = pinPolicy(4, func(r *PINPolicy) { r.History = 2 })
	plainPIN    = pinPolicy(4, nil)
)

type pinTest struct {
	name string
	p    *Policy
	pin  string
	ctx  PINContext
	want string
}

var pinTests = []pinTest{
	// Length and characters.
	{"short", plainPIN, "123", PINContext{}, "too_short/4"},
	{"empty", plainPIN, "", PINContext{}, "too_short/4"},
	{"min length exact", plainPIN, "1234", PINContext{}, ""},
	{"max length exact", pinPolicy(4, func(r *PINPolicy) { r.MaxLength = 6 }), "123456", PINContext{}, ""},
	{"max length +1", pinPolicy(4, func(r *PINPolicy) { r.MaxLength = 6 }), "1234567", PINContext{}, "too_long/6"},
	{"hard cap exact", plainPIN, strings.Repeat("1", 64), PINContext{}, ""},
	{"hard cap +1 is refused before anything else", trivialPIN, strings.Repeat("1", 65), PINContext{}, "too_long/64"},
	{"hard cap +1 reports a lower max", pinPolicy(4, func(r *PINPolicy) { r.MaxLength = 24; r.Trivial = true }), strings.Repeat("x", 65), PINContext{}, "too_long/24"},
	{"letter", trivialPIN, "12a4", PINContext{}, "not_digits@2-3"},
	{"fullwidth digit counts as one character", trivialPIN, "1２34", PINContext{}, "not_digits@1-2"},
	{"short and not digits", trivialPIN, "1#", PINContext{}, "too_short/4 not_digits@1-2"},

	// repeated_digit: more than twice in a row.
	{"28883", trivialPIN, "28883", PINContext{}, "repeated_digit@1-4/2"},
	{"twice is fine", trivialPIN, "288399", PINContext{}, ""},
	{"repeated digit at end", trivialPIN, "380111", PINContext{}, "repeated_digit@3-6/2"},

	// few_distinct: fewer than three different digits.
	{"121212", trivialPIN, "121212", PINContext{}, "few_distinct@0-6/3 repeated_group@0-6"},
	{"two digits", trivialPIN, "118181", PINContext{}, "few_distinct@0-6/3"},
	{"three digits", trivialPIN, "118183", PINContext{}, ""},

	// repeated_group.
	{"408408", trivialPIN, "408408", PINContext{}, "repeated_group@0-6"},
	{"123123", trivialPIN, "123123", PINContext{}, "repeated_group@0-6"},
	{"group inside", trivialPIN, "5123123", PINContext{}, "repeated_group@1-7"},
	{"group of four inside", trivialPIN, "9406340637", PINContext{}, "repeated_group@1-9"},
	{"whole pin pairs", trivialPIN, "4747", PINContext{}, "few_distinct@0-4/3 repeated_group@0-4"},
	{"pair inside is fine", trivialPIN, "904747", PINContext{}, ""},
	{"group not adjacent", trivialPIN, "4089408", PINContext{}, ""},

	// sequential: digits run 0..9 and stop (seeds 001, 002); the ring,
	// where 0 follows 9, only with sequence_wraps.
	{"012345", trivialPIN, "012345", PINContext{}, "sequential@0-6"},
	{"987654", trivialPIN, "987654", PINContext{}, "sequential@0-6"},
	{"0123456789", trivialPIN, "0123456789", PINContext{}, "sequential@0-10"},
	{"9876543210", trivialPIN, "9876543210", PINContext{}, "sequential@0-10"},
	{"no wrap up", trivialPIN, "789012", PINContext{}, ""},
	{"no wrap 901234", trivialPIN, "901234", PINContext{}, ""},
	{"no wrap down", trivialPIN, "321098", PINContext{}, ""},
	{"no wrap 1234567890", trivialPIN, "1234567890", PINContext{}, ""},
	{"no wrap 7890", trivialPIN, "7890", PINContext{}, ""},
	{"ring up", ringPIN, "789012", PINContext{}, "sequential@0-6"},
	{"ring 901234", ringPIN, "901234", PINContext{}, "sequential@0-6"},
	{"ring down", ringPIN, "321098", PINContext{}, "sequential@0-6"},
	{"ring 1234567890", ringPIN, "1234567890", PINContext{}, "sequential@0-10"},
	{"ring 0987654321", ringPIN, "0987654321", PINContext{}, "sequential@0-10"},
	{"ring still runs straight", ringPIN, "012345", PINContext{}, "sequential@0-6"},
	{"ring twice round", ringPIN, "567890123456", PINContext{}, "sequential@0-12"},
	{"ring step two", ringPIN, "135791", PINContext{}, ""},
	{"step two", trivialPIN, "135790", PINContext{}, ""},
	{"turns", trivialPIN, "123432", PINContext{}, ""},
	{"turns at 9", ringPIN, "789098", PINContext{}, ""},

	// keypad_line: the whole PIN on one line.
	{"2580", trivialPIN, "2580", PINContext{}, "keypad_line@0-4"},
	{"0852", trivialPIN, "0852", PINContext{}, "keypad_line@0-4"},
	{"159", trivialPIN3, "159", PINContext{}, "keypad_line@0-3"},
	{"753", trivialPIN3, "753", PINContext{}, "keypad_line@0-3"},
	{"123", trivialPIN3, "123", PINContext{}, "sequential@0-3 keypad_line@0-3"},
	{"456", trivialPIN3, "456", PINContext{}, "sequential@0-3 keypad_line@0-3"},
	{"789", trivialPIN3, "789", PINContext{}, "sequential@0-3 keypad_line@0-3"},
	{"column 369", trivialPIN3, "963", PINContext{}, "keypad_line@0-3"},
	{"skip is no line", trivialPIN3, "137", PINContext{}, ""},
	{"turn is no line", trivialPIN, "1478", PINContext{}, ""},
	{"line inside, whole rule only", trivialPIN, "925806", PINContext{}, ""},
	{"contains option", keypad3PIN, "925806", PINContext{}, "keypad_line@1-5/3"},
	{"contains option, diagonal", keypad3PIN, "815937", PINContext{}, "keypad_line@1-4/3"},
	{"contains option, none", keypad3PIN, "137946", PINContext{}, ""},

	// Extensions.
	{"contains extension", trivialPIN, "136697", PINContext{Extensions: []string{"36697"}}, "contains_extension@1-6(primary)"},
	{"contains reversed extension", trivialPIN, "958041", PINContext{Extensions: []string{"4085"}}, "contains_reversed_extension@1-5(primary)"},
	{"alternate extension", trivialPIN, "947115", PINContext{Extensions: []string{"1000", "4711"}}, "contains_extension@1-5(alternate)"},
	{"both ways", trivialPIN, "40855804", PINContext{Extensions: []string{"4085"}}, "contains_extension@0-4(primary) contains_reversed_extension@4-8(primary)"},
	{"palindrome extension once", trivialPIN, "914419", PINContext{Extensions: []string{"1441"}}, "contains_extension@1-5(primary)"},
	{"formatted extension", trivialPIN, "94085251", PINContext{Extensions: []string{"+1 (408) 525"}}, ""},
	{"formatted extension inside", trivialPIN, "9140852519", PINContext{Extensions: []string{"+1 (408) 525"}}, "contains_extension@1-8(primary)"},
	{"extension not present", trivialPIN, "493027", PINContext{Extensions: []string{"36697", "", "x"}}, ""},

	// name_digits.
	{"last name with apostrophe", trivialPIN, "627436", PINContext{FirstName: "Zoë", LastName: "O'Brien"}, "name_digits@0-6(last_name)"},
	{"first name with accent", trivialPIN, "5673", PINContext{FirstName: "José", LastName: "Ng"}, "name_digits@0-4(first_name)"},
	{"umlaut", trivialPIN, "685537", PINContext{LastName: "Müller"}, "name_digits@0-6(last_name)"},
	{"eszett is ss", trivialPIN, "7872877", PINContext{LastName: "Strauß"}, "name_digits@0-7(last_name)"},
	{"polish l", trivialPIN, "585279", PINContext{FirstName: "Łukasz"}, "name_digits@0-6(first_name)"},
	{"prefix of name is fine", trivialPIN, "6274", PINContext{LastName: "O'Brien"}, ""},
	{"name without letters", trivialPIN, "4711", PINContext{LastName: "4711"}, ""},

	// Exchange common patterns.
	{"exchange 1234", exchangePIN, "1234", PINContext{}, "sequential@0-4"},
	{"exchange 65432", exchangePIN, "65432", PINContext{}, "sequential@0-5"},
	{"exchange no wrap 789012", exchangePIN, "789012", PINContext{}, ""},
	{"exchange no wrap 7890", exchangePIN, "7890", PINContext{}, ""},
	{"exchange no wrap 10987", exchangePIN, "10987", PINContext{}, ""},
	{"exchange ring 789012", ringExPIN, "789012", PINContext{}, "sequential@0-6"},
	{"exchange ring 10987", ringExPIN, "10987", PINContext{}, "sequential@0-5"},
	{"exchange 11111", exchangePIN, "11111", PINContext{}, "all_same@0-5"},
	{"exchange 22222", exchangePIN, "22222", PINContext{}, "all_same@0-5"},
	{"exchange 6697", exchangePIN, "6697", PINContext{Extensions: []string{"36697"}}, "extension_suffix@0-4(primary)"},
	{"exchange whole extension", exchangePIN, "36697", PINContext{Extensions: []string{"36697"}}, "extension_suffix@0-5(primary)"},
	{"exchange alternate suffix", exchangePIN, "4711", PINContext{Extensions: []string{"36697", "+49 89 4711"}}, "extension_suffix@0-4(alternate)"},
	{"exchange prefix is fine", exchangePIN, "3669", PINContext{Extensions: []string{"36697"}}, ""},
	{"exchange accepts Cisco-trivial", exchangePIN, "408408", PINContext{}, ""},
	{"exchange accepts 28883", exchangePIN, "28883", PINContext{}, ""},
	{"exchange accepts 2580", exchangePIN, "2580", PINContext{}, ""},
	{"exchange accepts 121212", exchangePIN, "121212", PINContext{}, ""},

	// Dates.
	{"MMDD", datesPIN, "1225", PINContext{Year: 2026}, "date@0-4(MMDD)"},
	{"DDMM", datesPIN, "2512", PINContext{Year: 2026}, "date@0-4(DDMM)"},
	{"29 February", datesPIN, "0229", PINContext{Year: 2026}, "date@0-4(MMDD)"},
	{"30 February", datesPIN, "3002", PINContext{Year: 2026}, ""},
	{"YYYY in window", datesPIN, "1987", PINContext{Year: 2026}, "date@0-4(YYYY)"},
	{"YYYY next year", datesPIN, "2027", PINContext{Year: 2026}, "date@0-4(YYYY)"},
	{"YYYY past window", datesPIN, "2028", PINContext{Year: 2026}, ""},
	{"YYYY before window", datesPIN, "1925", PINContext{Year: 2026}, ""},
	{"YYYY without year", datesPIN, "2099", PINContext{}, "date@0-4(YYYY)"},
	{"DDMMYY", datesPIN, "251290", PINContext{Year: 2026}, "date@0-6(DDMMYY)"},
	{"MMDDYY", datesPIN, "122590", PINContext{Year: 2026}, "date@0-6(MMDDYY)"},
	{"YYMMDD", datesPIN, "901225", PINContext{Year: 2026}, "date@0-6(YYMMDD)"},
	{"YY not leap", datesPIN, "290201", PINContext{Year: 2026}, "date@0-6(YYMMDD)"},
	{"no date", datesPIN, "739164", PINContext{Year: 2026}, ""},
	{"DDMMYYYY", datesPIN, "25121990", PINContext{Year: 2026}, "date@0-8(DDMMYYYY)"},
	{"MMDDYYYY", datesPIN, "12251990", PINContext{Year: 2026}, "date@0-8(MMDDYYYY)"},
	{"YYYYMMDD", datesPIN, "19901225", PINContext{Year: 2026}, "date@0-8(YYYYMMDD)"},
	{"eight digits out of window", datesPIN, "25121890", PINContext{Year: 2026}, ""},
	{"29 February 1900", datesPIN, "29021900", PINContext{}, ""},
	{"29 February 2000", datesPIN, "29022000", PINContext{}, "date@0-8(DDMMYYYY)"},
	{"dob D M YYYY", datesPIN, "471990", PINContext{DateOfBirth: "1990-07-04", Year: 2026}, "date@0-6(date_of_birth)"},
	{"dob YYYY M D", datesPIN, "199074", PINContext{DateOfBirth: "1990-07-04", Year: 2026}, "date@0-6(date_of_birth)"},
	{"dob YY D M", datesPIN, "9047", PINContext{DateOfBirth: "1990-07-04", Year: 2026}, "date@0-4(date_of_birth)"},
	{"dob MM YY", datesPIN, "0790", PINContext{DateOfBirth: "1990-07-04", Year: 2026}, "date@0-4(date_of_birth)"},
	{"dob MM YYYY DD", datesPIN, "07199004", PINContext{DateOfBirth: "1990-07-04", Year: 2026}, "date@0-8(date_of_birth)"},
	{"dob other date", datesPIN, "9048", PINContext{DateOfBirth: "1990-07-04", Year: 2026}, ""},
	{"dob malformed is ignored", datesPIN, "9047", PINContext{DateOfBirth: "04/07/1990", Year: 2026}, ""},

	// common.
	{"ios 1234", commonPINs, "1234", PINContext{}, "common@0-4(list)"},
	{"ios 2580", commonPINs, "2580", PINContext{}, "common@0-4(list)"},
	{"ios aaaa", commonPINs, "0000", PINContext{}, "common@0-4(aaaa)"},
	{"ios abab", commonPINs, "6969", PINContext{}, "common@0-4(abab)"},
	{"ios aabb", commonPINs, "1122", PINContext{}, "common@0-4(aabb)"},
	{"ios year", commonPINs, "1984", PINContext{}, "common@0-4(year)"},
	{"ios not year", commonPINs, "2016", PINContext{}, ""},
	{"ios 6 abcabc", commonPINs, "408408", PINContext{}, "common@0-6(abcabc)"},
	{"ios 6 abccba", commonPINs, "123321", PINContext{}, "common@0-6(abccba)"},
	{"ios 6 ababa?", commonPINs, "121217", PINContext{}, "common@0-6(ababa?)"},
	{"ios 6 series", commonPINs, "789456", PINContext{}, "common@0-6(series)"},
	{"ios 6 list", commonPINs, "159753", PINContext{}, "common@0-6(list)"},
	{"ios 6 not listed", commonPINs, "123457", PINContext{}, ""},
	{"five same", commonPINs, "77777", PINContext{}, "common@0-5(repeat)"},
	{"eight series", commonPINs, "12345678", PINContext{}, "common@0-8(series)"},
	{"ten series wraps", commonPINs, "1234567890", PINContext{}, "common@0-10(series)"},
	{"ten series down wraps", commonPINs, "0987654321", PINContext{}, "common@0-10(series)"},
	{"five series wraps", commonPINs, "89012", PINContext{}, "common@0-5(series)"},
	{"eight period", commonPINs, "12121212", PINContext{}, "common@0-8(period)"},
	{"seven period three", commonPINs, "1231231", PINContext{}, "common@0-7(period)"},
	{"eight random", commonPINs, "73915284", PINContext{}, ""},

	// reused, with a history depth of 2.
	{"reused newest", historyPIN, "739164", PINContext{Previous: []string{"739164", "111111", "222222"}}, "reused/2"},
	{"reused second", historyPIN, "111111", PINContext{Previous: []string{"739164", "111111", "222222"}}, "reused/2"},
	{"beyond depth", historyPIN, "222222", PINContext{Previous: []string{"739164", "111111", "222222"}}, ""},
	{"history off", plainPIN, "739164", PINContext{Previous: []string{"739164"}}, ""},
	{"prefix is not reuse", historyPIN, "73916", PINContext{Previous: []string{"739164"}}, ""},
}

func TestCheckPIN(t *testing.T) {
	var v Verdict
	for _, tt := range pinTests {
		ctx := tt.ctx
		tt.p.CheckPIN(tt.pin, &ctx, &v)
		if got := dump(&v); got != tt.want {
			t.Errorf("%s: CheckPIN(%q) = %q, want %q", tt.name, tt.pin, got, tt.want)
		}
		if v.Accepted != (len(v.Reasons) == 0) {
			t.Errorf("%s: Accepted = %v with %d reasons", tt.name, v.Accepted, len(v.Reasons))
		}
	}
}

func TestCheckPINNilContext(t *testing.T) {
	var v Verdict
	trivialPIN.CheckPIN("2580", nil, &v)
	if got := dump(&v); got != "keypad_line@0-4" {
		t.Fatalf("CheckPIN(2580, nil) = %q", got)
	}
}

// TestPINRulesPerProfile pins down which rules each built-in profile
// applies: the profiles apply exactly what their system applies.
func TestPINRulesPerProfile(t *testing.T) {
	ctx := PINContext{Extensions: []string{"36697"}, LastName: "O'Brien", Year: 2026}
	for _, tt := range []struct{ profile, pin, want string }{
		{"cuc", "408408", "repeated_group@0-6"},
		{"cuc", "6697", "too_short/6"},
		{"cuc", "1984", "too_short/6"},
		{"cuc", "627436", "name_digits@0-6(last_name)"},
		{"cuc", "739164", ""},
		{"exchange-um", "408408", ""},
		{"exchange-um", "366970", ""},
		{"exchange-um", "111111", "all_same@0-6"},
		{"exchange-um", "096697", ""},
		{"exchange-um", "123456", "sequential@0-6"},
		{"exchange-um", "627436", ""},
		{"cucm", "73916482", ""},
		{"cucm", "12345678", "sequential@0-8"},
		{"nist-800-63b-4", "408408", "common@0-6(abcabc)"},
		{"nist-800-63b-4", "251290", "date@0-6(DDMMYY)"},
		{"nist-800-63b-4", "627436", ""},
		{"nist-800-63b-4", "739164", ""},
	} {
		p, err := Profile(tt.profile)
		if err != nil {
			t.Fatal(err)
		}
		var v Verdict
		c := ctx
		p.CheckPIN(tt.pin, &c, &v)
		if got := dump(&v); got != tt.want {
			t.Errorf("%s: CheckPIN(%q) = %q, want %q", tt.profile, tt.pin, got, tt.want)
		}
	}
}

// TestCheckPINNoAlloc guards the zero-allocation promise: with v reused,
// a PIN check allocates nothing, whatever rules fire.
func TestCheckPINNoAlloc(t *testing.T) {
	p := pinPolicy(4, func(r *PINPolicy) {
		r.Trivial, r.ExchangeCommonPatterns, r.Dates, r.Blocklist = true, true, true, true
		r.KeypadContainsMin, r.History = 3, 5
	})
	ctx := PINContext{
		Extensions:  []string{"36697", "+1 408 555 0100"},
		FirstName:   "Zoë",
		LastName:    "O'Brien",
		DateOfBirth: "1990-07-04",
		Year:        2026,
		Previous:    []string{"111111", "739164", "902211"},
	}
	pins := []string{"28883", "121212", "408408", "012345", "2580", "6697", "627436", "471990", "739164", "90211235", "12a4", strings.Repeat("9", 80)}
	var v Verdict
	for _, pin := range pins {
		p.CheckPIN(pin, &ctx, &v) // grow v.Reasons once
	}
	for _, pin := range pins {
		if n := testing.AllocsPerRun(50, func() { p.CheckPIN(pin, &ctx, &v) }); n != 0 {
			t.Errorf("CheckPIN(%q) allocates %v times per call, want 0", pin, n)
		}
	}
}
