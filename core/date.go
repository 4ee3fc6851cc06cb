package core

// The date rule. A PIN that reads as a calendar date is among the first
// guesses (Markert et al. 2020; Bonneau et al. 2012 on birthdays), so with
// PINPolicy.Dates on, the whole PIN is refused when it is
//
//	4 digits: MMDD, DDMM, or a year YYYY inside the window
//	6 digits: DDMMYY, MMDDYY, YYMMDD
//	8 digits: DDMMYYYY, MMDDYYYY, YYYYMMDD with YYYY inside the window
//
// The window slides with the caller's year (core reads no clock): from
// Year-100 to Year+1. With Year 0 the window is not applied and years run
// over 1900–2099. Days are checked against their month (29 February only in
// a leap year; a two-digit year is a leap year when divisible by 4). MMYY
// and YYMM are not refused: every month of every year would cover a
// quarter of all 4-digit PINs, against ~7% for the forms above.
//
// With a date of birth (YYYY-MM-DD), any arrangement of its parts is
// refused as well: the year alone (YYYY), two parts in any order (DDMM,
// MMYY, YYYYMM, ...) and all three in any order, with the year as YYYY or
// YY and the day and month with or without a leading zero (4 7 1990 →
// 471990, 04071990, 199074, ...).

// Detail values of the date rule.
const (
	dateOfBirth = "date_of_birth"
)

// yearWindow returns the range of four-digit years a date may use.
func yearWindow(year int) (lo, hi int) {
	if year == 0 {
		return 1900, 2099
	}
	return year - 100, year + 1
}

func num2(s string, i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }

func num4(s string, i int) int { return num2(s, i)*100 + num2(s, i+2) }

func leapYear(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// validDay reports whether day d exists in month m; leap says whether
// 29 February does.
func validDay(d, m int, leap bool) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	switch m {
	case 2:
		if leap {
			return d <= 29
		}
		return d <= 28
	case 4, 6, 9, 11:
		return d <= 30
	}
	return d <= 31
}

// calendarDate reports whether pin (digits) reads as a date in one of the
// layouts above, and which.
func calendarDate(pin string, year int) (layout string, ok bool) {
	lo, hi := yearWindow(year)
	inWindow := func(y int) bool { return y >= lo && y <= hi }
	switch len(pin) {
	case 4:
		a, b := num2(pin, 0), num2(pin, 2)
		switch {
		case validDay(b, a, true):
			return "MMDD", true
		case validDay(a, b, true):
			return "DDMM", true
		case inWindow(num4(pin, 0)):
			return "YYYY", true
		}
	case 6:
		a, b, c := num2(pin, 0), num2(pin, 2), num2(pin, 4)
		switch {
		case validDay(a, b, c%4 == 0):
			return "DDMMYY", true
		case validDay(b, a, c%4 == 0):
			return "MMDDYY", true
		case validDay(c, b, a%4 == 0):
			return "YYMMDD", true
		}
	case 8:
		a, b := num2(pin, 0), num2(pin, 2)
		if y := num4(pin, 4); inWindow(y) {
			switch {
			case validDay(a, b, leapYear(y)):
				return "DDMMYYYY", true
			case validDay(b, a, leapYear(y)):
				return "MMDDYYYY", true
			}
		}
		if y := num4(pin, 0); inWindow(y) && validDay(num2(pin, 6), num2(pin, 4), leapYear(y)) {
			return "YYYYMMDD", true
		}
	}
	return "", false
}

// dobParts is a date of birth split into the spellings a PIN may use:
// part 0 is the day, 1 the month, 2 the year; each has up to two forms
// (DD and D, MM and M, YYYY and YY).
type dobParts [3][2]string

// DateOfBirthFormat is the one spelling PINContext.DateOfBirth accepts.
const DateOfBirthFormat = "YYYY-MM-DD"

// ValidDateOfBirth reports whether s is a real calendar date spelled
// YYYY-MM-DD, the only form the date-of-birth rule reads. Callers check it
// so a malformed date is refused instead of silently disabling the rule.
func ValidDateOfBirth(s string) bool {
	_, ok := parseDOB(s)
	return ok
}

// parseDOB splits "YYYY-MM-DD" into its parts. It returns false for any
// other shape or an impossible date, and then the DOB rule does not apply.
func parseDOB(s string) (p dobParts, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return p, false
	}
	for i := 0; i < 10; i++ {
		if i != 4 && i != 7 && (s[i] < '0' || s[i] > '9') {
			return p, false
		}
	}
	y, m, d := num4(s, 0), num2(s, 5), num2(s, 8)
	if !validDay(d, m, leapYear(y)) {
		return p, false
	}
	p[0][0], p[1][0], p[2][0] = s[8:10], s[5:7], s[0:4]
	if s[8] == '0' {
		p[0][1] = s[9:10]
	}
	if s[5] == '0' {
		p[1][1] = s[6:7]
	}
	p[2][1] = s[2:4]
	return p, true
}

// dobOrders lists the arrangements of the parts (0 day, 1 month, 2 year)
// that the rule refuses; -1 ends a shorter arrangement.
var dobOrders = [...][3]int8{
	{2, -1, -1},
	{0, 1, -1}, {1, 0, -1}, {1, 2, -1}, {2, 1, -1}, {0, 2, -1}, {2, 0, -1},
	{0, 1, 2}, {1, 0, 2}, {2, 1, 0}, {2, 0, 1}, {0, 2, 1}, {1, 2, 0},
}

// matchesDOB reports whether pin is one arrangement of the DOB's parts.
func matchesDOB(pin string, p *dobParts) bool {
	for i := range dobOrders {
		if matchParts(pin, p, dobOrders[i][:]) {
			return true
		}
	}
	return false
}

// matchParts reports whether pin is exactly the concatenation of the parts
// named by order (one form each), trying every form.
func matchParts(pin string, p *dobParts, order []int8) bool {
	if len(order) == 0 || order[0] < 0 {
		return pin == ""
	}
	for _, form := range p[order[0]] {
		if form != "" && len(form) <= len(pin) && pin[:len(form)] == form &&
			matchParts(pin[len(form):], p, order[1:]) {
			return true
		}
	}
	return false
}
