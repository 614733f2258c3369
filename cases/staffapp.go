package cases

// AppMessage is what a staff member sent the bureau's self-built WeCom app,
// in the staff side's own terms: intake reads it from WeCom's callback and
// the desk acts on it, so the desk knows nothing of WeCom's wire format.
type AppMessage struct {
	// UserID is the staff member's WeCom user id.
	UserID string
	Kind   AppMessageKind
	// Text is what they typed (AppText).
	Text string
	// ButtonKey is the key of the template card button they clicked
	// (AppCardClick); see staff.ParseCardKey.
	ButtonKey string
	// TaskID names the clicked card, and ResponseCode is the single-use code
	// that updates it for everybody who got it (AppCardClick).
	TaskID, ResponseCode string
}

// AppMessageKind says what kind of thing a staff member sent the app.
type AppMessageKind string

// Kinds of AppMessage.
const (
	// AppText is a typed message: a command.
	AppText AppMessageKind = "text"
	// AppCardClick is a click on a template card button.
	AppCardClick AppMessageKind = "card_click"
	// AppEvent is any other event of the app (the member opened it, …),
	// which needs no answer.
	AppEvent AppMessageKind = "event"
	// AppOther is a photo, voice message, file or anything else sent to the
	// app, which takes only text.
	AppOther AppMessageKind = "other"
)
