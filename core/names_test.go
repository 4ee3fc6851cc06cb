package core

import "testing"

func TestNameDigits(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"Smith", "76484"},
		{"O'Brien", "627436"},
		{"Zoë", "963"},
		{"José", "5673"},
		{"Müller", "685537"},
		{"Strauß", "7872877"},
		{"Łukasz", "585279"},
		{"Ægir", "23447"},
		{"Œuvre", "638873"},
		{"Þór", "8467"},
		{"François-Xavier", "37262647928437"},
		{"Çelik", "23545"},
		{"Dvořák", "386725"},
		{"İlkay", "45529"},
		{"Nguyễn", "64896"}, // ễ is outside the table: dropped
		{"Иван", ""},        // Cyrillic is dropped
		{"R2-D2", "73"},
		{"", ""},
	} {
		if got := NameDigits(tt.name); got != tt.want {
			t.Errorf("NameDigits(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if tt.want != "" && !equalsNameDigits(tt.want, tt.name) {
			t.Errorf("equalsNameDigits(%q, %q) = false", tt.want, tt.name)
		}
	}
	for _, tt := range []struct{ pin, name string }{
		{"7648", "Smith"},
		{"764840", "Smith"},
		{"", "Smith"},
		{"", "!!"},
	} {
		if equalsNameDigits(tt.pin, tt.name) {
			t.Errorf("equalsNameDigits(%q, %q) = true", tt.pin, tt.name)
		}
	}
}
