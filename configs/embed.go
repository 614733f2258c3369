package configs

import _ "embed"

// Holidays is the built-in working-day calendar: Chinese public holidays and
// make-up working days, per the State Council's yearly notices.
//
//go:embed holidays-cn.yaml
var Holidays []byte
