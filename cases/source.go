package cases

// Source is the channel a case came in by. Cases written before sources were
// recorded, and every case from the chat, are SourceWeCom.
type Source string

// Sources.
const (
	// SourceWeCom is a citizen writing through 微信客服; the reporter is their
	// WeCom external user id and the bureau answers in the chat.
	SourceWeCom Source = "wecom"
	// SourceOpen311 is another system of the bureau (a 12345 web form, a mini
	// program, a hotline system) posting through Open311 GeoReport v2. The
	// reporter has no WeCom id: the bureau reaches them by the contact they
	// left, and the posting system reads the outcome back through Open311.
	SourceOpen311 Source = "open311"
)

// OrWeCom is s, or SourceWeCom when s is empty.
func (s Source) OrWeCom() Source {
	if s == "" {
		return SourceWeCom
	}
	return s
}

// SourceText names a source for staff.
func SourceText(s Source) string {
	switch s.OrWeCom() {
	case SourceOpen311:
		return "Open311 接口（12345 网页、小程序、热线等系统转入）"
	case SourceWeCom:
		return "微信客服"
	}
	return string(s)
}
