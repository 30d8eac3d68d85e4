package cubit

// allDigits reports whether s is n ASCII digits.
func allDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mod11 returns the mod-11 check digit of digits under weights, or -1 when
// the remainder gives 10, which no valid number has.
func mod11(digits string, weights []int) int {
	sum := 0
	for i, w := range weights {
		sum += int(digits[i]-'0') * w
	}
	k := 11 - sum%11
	switch k {
	case 11:
		return 0
	case 10:
		return -1
	}
	return k
}

// ValidFodselsnummer reports whether an 11-digit Norwegian personal number
// (fødselsnummer, D-number) has its two mod-11 check digits right: the
// 10th under weights 3 7 6 1 8 9 4 5 2, the 11th under 5 4 3 2 7 6 5 4 3 2
// over the first ten. It checks nothing else (not the date).
func ValidFodselsnummer(s string) bool {
	if !allDigits(s, 11) {
		return false
	}
	k1 := mod11(s, []int{3, 7, 6, 1, 8, 9, 4, 5, 2})
	if k1 < 0 || k1 != int(s[9]-'0') {
		return false
	}
	k2 := mod11(s, []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2})
	return k2 >= 0 && k2 == int(s[10]-'0')
}

// ValidOrganisasjonsnummer reports whether a 9-digit Norwegian
// organisation number has its mod-11 check digit (weights 3 2 7 6 5 4 3 2)
// right.
func ValidOrganisasjonsnummer(s string) bool {
	if !allDigits(s, 9) {
		return false
	}
	k := mod11(s, []int{3, 2, 7, 6, 5, 4, 3, 2})
	return k >= 0 && k == int(s[8]-'0')
}

// ValidGSRN reports whether an 18-digit metering point id (GS1 GSRN) has
// its GS1 check digit right: weights 3 and 1 alternating from the digit
// before the check digit, leftwards; the check digit brings the sum to a
// multiple of ten.
func ValidGSRN(s string) bool {
	if !allDigits(s, 18) {
		return false
	}
	return gs1CheckDigit(s[:17]) == int(s[17]-'0')
}

// gs1CheckDigit computes the GS1 check digit of body.
func gs1CheckDigit(body string) int {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return (10 - sum%10) % 10
}
