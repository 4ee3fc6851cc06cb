package auditcore

import "time"

// parseDate reads a date of birth as the exports write it and returns it
// as YYYY-MM-DD, the form core's date rule takes. US order (MM/DD/YYYY)
// is what Unity Connection and Unified CM write; DD.MM.YYYY is accepted
// because the dot makes the order unambiguous.
func parseDate(s string) (string, bool) {
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		// The common case, checked without time.Parse's generality.
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if ok1 && ok2 && ok3 && m >= 1 && m <= 12 && d >= 1 && d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
			return s, true
		}
		return "", false
	}
	for _, layout := range [...]string{"2006-01-02", "01/02/2006", "1/2/2006", "20060102", "02.01.2006", "2006/01/02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = 10*n + int(s[i]-'0')
	}
	return n, true
}
