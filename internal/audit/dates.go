package audit

import "time"

// parseDate reads a date of birth as the exports write it and returns it
// as YYYY-MM-DD, the form core's date rule takes. US order (MM/DD/YYYY)
// is what Unity Connection and Unified CM write; DD.MM.YYYY is accepted
// because the dot makes the order unambiguous.
func parseDate(s string) (string, bool) {
	for _, layout := range [...]string{"2006-01-02", "01/02/2006", "1/2/2006", "20060102", "02.01.2006", "2006/01/02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}
