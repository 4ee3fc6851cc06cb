package core

import "strings"

// The message catalogue: one English template per code. Templates may use
// {limit} and {detail}, filled from the Reason. Hosts translate by keying
// their own catalogue on the code (the JS package ships a second language).
// Each area adds its templates from its own file with addMessages, so the
// catalogue stays one table without one file owning every code.
var catalogue = map[Code]string{}

// message is one entry of the catalogue. Areas list theirs as slices of
// these, not map literals: a slice of constants is static data, while a
// map literal compiles to one insertion call per entry (6 KB of the
// module for 23 messages).
type message struct {
	code Code
	text string
}

func addMessages(m []message) {
	for _, e := range m {
		if _, dup := catalogue[e.code]; dup {
			panic("core: duplicate message for code " + string(e.code))
		}
		catalogue[e.code] = e.text
	}
}

// Catalogue returns a copy of the English message templates keyed by code.
func Catalogue() map[Code]string {
	out := make(map[Code]string, len(catalogue))
	for c, t := range catalogue {
		out[c] = t
	}
	return out
}

// Message renders the English message for r. It never includes the input.
func Message(r Reason) string { return Render(catalogue[r.Code], r) }

// Render fills a template's {limit} and {detail} placeholders from r.
func Render(template string, r Reason) string {
	if template == "" {
		return string(r.Code)
	}
	if !strings.Contains(template, "{") {
		return template
	}
	// By hand: strings.Replacer costs 25 KB of module code for two names.
	var b []byte
	for {
		i := strings.IndexByte(template, '{')
		if i < 0 {
			break
		}
		b = append(b, template[:i]...)
		switch rest := template[i:]; {
		case strings.HasPrefix(rest, "{limit}"):
			b = append(b, itoa(r.Limit)...)
			template = rest[len("{limit}"):]
		case strings.HasPrefix(rest, "{detail}"):
			b = append(b, r.Detail...)
			template = rest[len("{detail}"):]
		default:
			b = append(b, '{')
			template = rest[1:]
		}
	}
	return string(append(b, template...))
}

// itoa avoids strconv in the smallest builds; values are small and non-negative.
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
