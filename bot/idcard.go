package bot

import (
	"strings"
	"time"
)

// idWeights are the GB 11643-1999 weights of the first 17 characters; the
// weighted sum modulo 11 picks the check character from idCheckChars.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// idProvinces are the first two digits of the administrative division codes
// in use (GB/T 2260), Hong Kong, Macao and Taiwan residence permits included.
var idProvinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// ValidIDNumber checks a resident identity number (GB 11643-1999: 17 digits
// and a check character, 0-9 or X). Spaces, dashes and full-width characters
// are tolerated; norm is the 18-character form with an upper-case X. When ok
// is false, reason explains kindly, in Chinese, what is wrong.
func ValidIDNumber(s string) (norm string, ok bool, reason string) {
	s = strings.ToUpper(squeeze(fold(s)))
	s = strings.NewReplacer("-", "", "—", "", "_", "").Replace(s)
	if s == "" {
		return "", false, textIDEmpty
	}
	for i, r := range s {
		if (r < '0' || r > '9') && !(r == 'X' && i == len(s)-1) {
			return "", false, textIDChars
		}
	}
	switch {
	case len(s) == 15:
		return "", false, textIDOld
	case len(s) != 18:
		return "", false, textIDLength(len(s))
	}
	if !idProvinces[s[:2]] {
		return "", false, textIDRegion
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1880 || birth.After(time.Now()) {
		return "", false, textIDBirth
	}
	sum := 0
	for i := range 17 {
		sum += int(s[i]-'0') * idWeights[i]
	}
	if s[17] != idCheckChars[sum%11] {
		return "", false, textIDCheck
	}
	return s, true, ""
}
