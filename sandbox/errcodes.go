package sandbox

import (
	"encoding/json"
	"net/http"
)

// WeCom errcodes the sandbox answers with. Codes marked UNVERIFIED were not
// found in WeCom's public documentation while writing the sandbox; they are
// kept in this one place so a correction is a one-line change.
const (
	errSystemBusy          = -1
	errInvalidSecret       = 40001 // invalid credential (corpsecret)
	errInvalidMediaType    = 40004
	errInvalidType         = 40005
	errInvalidFileSize     = 40006
	errInvalidMediaID      = 40007
	errInvalidMsgType      = 40008
	errInvalidImageSize    = 40009
	errInvalidVoiceSize    = 40010
	errInvalidVideoSize    = 40011
	errInvalidCorpID       = 40013
	errInvalidToken        = 40014
	errInvalidAgentID      = 40056
	errInvalidParameter    = 40058
	errTokenMissing        = 41001
	errCorpIDMissing       = 41002
	errSecretMissing       = 41004
	errTokenExpired        = 42001
	errRequireGET          = 43001
	errRequirePOST         = 43002
	errEmptyContent        = 44004
	errContentTooLong      = 45002
	errFreqLimit           = 45009
	errDataFormat          = 47001
	errAllInvalid          = 81013 // user & party & tag all invalid
	errInvalidOpenKfID     = 95000
	errSendLimit           = 95001 // past 48 h, or the 5 messages are used up
	errInvalidEventCode    = 95002 // UNVERIFIED: send_msg_on_event with an unknown, used or expired code
	errInvalidMsgToken     = 95007
	errNotServicer         = 95014
	errTransNotAllowed     = 95016
	errSessionState        = 95018
	errInvalidResponseCode = 40058 // UNVERIFIED: update_template_card with an unknown, used or expired response_code
)

// apiError is WeCom's error body.
type apiError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// writeJSON answers 200 with v as JSON, as WeCom does for errors too.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// writeErr answers a WeCom error body with HTTP 200.
func writeErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, apiError{ErrCode: code, ErrMsg: msg})
}
