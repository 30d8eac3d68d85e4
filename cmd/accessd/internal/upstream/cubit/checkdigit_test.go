package cubit

import "testing"

// The seed's own examples: none of their check digits hold.
const (
	seedNumber          = "22097312401"
	seedOrgNumber       = "951123123"
	seedMeteringPointID = "707057500026392734"
)

// Numbers whose check digits hold: computed by hand with the weights, and
// Brønnøysundregistrene's own organisation number.
const (
	goodNumber          = "01017012343"
	goodOrgNumber       = "974760673"
	goodMeteringPointID = "707057500026392739"
)

func TestCheckDigits(t *testing.T) {
	for _, tc := range []struct {
		fn   func(string) bool
		name string
		in   string
		want bool
	}{
		{ValidFodselsnummer, "fnr", seedNumber, false},
		{ValidFodselsnummer, "fnr", goodNumber, true},
		{ValidFodselsnummer, "fnr", "15058532107", true},
		{ValidFodselsnummer, "fnr", "15058532108", false}, // second check digit off
		{ValidFodselsnummer, "fnr", "15058532117", false}, // first check digit off
		{ValidFodselsnummer, "fnr", "0101701234", false},  // 10 digits
		{ValidFodselsnummer, "fnr", "0101701234x", false}, // not a digit
		{ValidFodselsnummer, "fnr", "00000000000", true},  // all zero sums to 0: check digits 0
		{ValidOrganisasjonsnummer, "orgnr", seedOrgNumber, false},
		{ValidOrganisasjonsnummer, "orgnr", goodOrgNumber, true},
		{ValidOrganisasjonsnummer, "orgnr", "974760674", false},
		{ValidOrganisasjonsnummer, "orgnr", "97476067", false},
		{ValidGSRN, "gsrn", seedMeteringPointID, false},
		{ValidGSRN, "gsrn", goodMeteringPointID, true},
		{ValidGSRN, "gsrn", "707057500000000018", true},
		{ValidGSRN, "gsrn", "70705750000000001", false},
	} {
		if got := tc.fn(tc.in); got != tc.want {
			t.Errorf("%s(%q) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestCheckDigitRemainderTen: a number whose check digit would be 10 is
// invalid whatever its last digit.
func TestCheckDigitRemainderTen(t *testing.T) {
	// 3*0+2*0+7*0+6*0+5*0+4*0+3*0+2*5 = 10 → 11-10 = 1; find a body with
	// remainder 1 instead: 2*6 = 12 → 12 mod 11 = 1 → k = 10.
	for d := '0'; d <= '9'; d++ {
		if ValidOrganisasjonsnummer("0000000" + "6" + string(d)) {
			t.Errorf("organisation number 00000006%c accepted; its check digit would be 10", d)
		}
	}
}

func FuzzCheckDigits(f *testing.F) {
	for _, s := range []string{seedNumber, goodNumber, seedOrgNumber, goodOrgNumber, seedMeteringPointID, goodMeteringPointID} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidFodselsnummer(s) && len(s) != 11 || ValidOrganisasjonsnummer(s) && len(s) != 9 || ValidGSRN(s) && len(s) != 18 {
			t.Fatalf("%q accepted with the wrong length", s)
		}
		if len(s) == 18 && allDigits(s, 18) {
			fixed := s[:17] + string(rune('0'+gs1CheckDigit(s[:17])))
			if !ValidGSRN(fixed) {
				t.Fatalf("%q with its computed check digit is refused", fixed)
			}
		}
	})
}
