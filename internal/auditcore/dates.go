package auditcore

// parseDate reads a date of birth as the exports write it and returns it
// as YYYY-MM-DD, the form core's date rule takes. US order (MM/DD/YYYY)
// is what Unity Connection and Unified CM write; DD.MM.YYYY is accepted
// because the dot makes the order unambiguous. The forms are time.Parse's
// layouts "2006-01-02", "01/02/2006", "1/2/2006", "20060102",
// "02.01.2006" and "2006/01/02", read by hand: time's parsing and
// formatting code would add about 45 KB gzip to the module.
func parseDate(s string) (string, bool) {
	for form := range 6 {
		y, m, d := -1, -1, -1
		switch {
		case form == 0 && len(s) == 10 && s[4] == '-' && s[7] == '-',
			form == 5 && len(s) == 10 && s[4] == '/' && s[7] == '/':
			y, m, d = num(s[0:4]), num(s[5:7]), num(s[8:10])
		case form == 1 && len(s) == 10 && s[2] == '/' && s[5] == '/':
			m, d, y = num(s[0:2]), num(s[3:5]), num(s[6:10])
		case form == 2:
			// M/D/YYYY, one or two digits each.
			if mm, rest, ok := upTo2(s); ok && len(rest) > 0 && rest[0] == '/' {
				if dd, rest, ok := upTo2(rest[1:]); ok && len(rest) == 5 && rest[0] == '/' {
					y, m, d = num(rest[1:]), mm, dd
				}
			}
		case form == 3 && len(s) == 8:
			y, m, d = num(s[0:4]), num(s[4:6]), num(s[6:8])
		case form == 4 && len(s) == 10 && s[2] == '.' && s[5] == '.':
			d, m, y = num(s[0:2]), num(s[3:5]), num(s[6:10])
		}
		if y < 0 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
			continue
		}
		b := []byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
			byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10)}
		return string(b), true
	}
	return "", false
}

// num is the value of s, all ASCII digits; -1 otherwise.
func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = 10*n + int(s[i]-'0')
	}
	return n
}

// upTo2 reads one or two leading digits (time.Parse's "1" and "2").
func upTo2(s string) (int, string, bool) {
	if len(s) == 0 || s[0] < '0' || s[0] > '9' {
		return 0, s, false
	}
	if len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
		return num(s[:2]), s[2:], true
	}
	return int(s[0] - '0'), s[1:], true
}

// daysIn is the number of days of month m of year y (proleptic Gregorian).
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
