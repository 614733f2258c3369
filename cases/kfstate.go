package cases

// ServiceState is a citizen's kf (微信客服) session state, as WeCom numbers
// it (service_state/get, session_status_change). The numbers are WeCom's and
// are stored as they are in contacts.service_state.
type ServiceState int

// The kf session states.
const (
	// StateNew (未处理): a new session, or the citizen wrote after the last
	// one ended. The API may send.
	StateNew ServiceState = 0
	// StateBot (由智能助手接待): the API, this service, has the chat.
	StateBot ServiceState = 1
	// StatePool (待接入池排队中): waiting in the pool for a human servicer.
	StatePool ServiceState = 2
	// StateHuman (由人工接待): a human servicer has the chat; the bot keeps
	// quiet and the API may not send.
	StateHuman ServiceState = 3
	// StateEnded (已结束/未开始): the session ended; the next message from
	// the citizen starts a new one in StateNew.
	StateEnded ServiceState = 4
)

// Valid reports whether s is one of WeCom's states.
func (s ServiceState) Valid() bool { return s >= StateNew && s <= StateEnded }

// WithServicers reports whether the chat is with the human servicers, taken
// or waiting in the pool: the bot does not answer and the service does not
// write to the citizen through kf.
func (s ServiceState) WithServicers() bool { return s == StatePool || s == StateHuman }
