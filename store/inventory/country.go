package inventory

// iso3166Alpha2 holds the 249 officially assigned ISO 3166-1 alpha-2 codes,
// sorted, two letters each (from Debian's iso-codes 4.x).
const iso3166Alpha2 = "" +
	"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBS" +
	"BTBVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEE" +
	"EGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHM" +
	"HNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLC" +
	"LILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNA" +
	"NCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURW" +
	"SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTO" +
	"TRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW"

// IsCountryCode reports whether s is an officially assigned ISO 3166-1
// alpha-2 country code in upper case, such as "SE".
func IsCountryCode(s string) bool {
	if len(s) != 2 {
		return false
	}
	lo, hi := 0, len(iso3166Alpha2)/2
	for lo < hi {
		mid := (lo + hi) / 2
		c := iso3166Alpha2[2*mid : 2*mid+2]
		switch {
		case c == s:
			return true
		case c < s:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return false
}
