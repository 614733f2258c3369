package app

import (
	"strings"
)

// Step names a step of start-up that can fail.
type Step string

// The steps of New, in order.
const (
	StepConfig    Step = "configuration"
	StepDataKey   Step = "data key"
	StepDatabase  Step = "database"
	StepRedis     Step = "redis"
	StepLocks     Step = "database locks"
	StepDirectory Step = "staff directory"
	StepHolidays  Step = "holidays"
	StepListen    Step = "listen"
	StepSandbox   Step = "sandbox"
	StepWeCom     Step = "wecom"
	StepPages     Step = "staff pages"
)

// hints say what the operator can do about a failed step.
var hints = map[Step]string{
	StepConfig:    "fix those settings and start again",
	StepDataKey:   "check BCS_DATA_KEY (64 hex characters), or that BCS_DATA_KEY_FILE can be read and written by the service user",
	StepDatabase:  "check BCS_DB_DRIVER and BCS_DB_DSN, and that the database is running and reachable from this machine",
	StepRedis:     "check BCS_REDIS_ADDR and BCS_REDIS_PASSWORD, and that Redis is running and reachable from this machine",
	StepLocks:     "check BCS_DB_DSN and that MySQL is running and reachable (without BCS_REDIS_ADDR, locks and rate limits are kept in MySQL)",
	StepDirectory: "check that BCS_DIRECTORY names the staff directory file and that it is valid (see configs/directory.example.yaml)",
	StepHolidays:  "check that BCS_HOLIDAYS names a valid working-day calendar (see configs/holidays-cn.yaml), or unset it to use the built-in one",
	StepListen:    "another program may be using the address: stop it, or set BCS_HTTP_ADDR to a free host:port",
	StepSandbox:   "the local WeCom sandbox could not start; report this with the line above",
	StepWeCom:     "check the BCS_WECOM_* settings against the WeCom admin console",
	StepPages:     "check BCS_PUBLIC_URL",
}

// StartError is a failed start: the step that failed, why, and (Hint) what
// the operator can do. Its text is one line.
type StartError struct {
	Step Step
	Err  error
}

func (e *StartError) Error() string {
	msg := "cannot start: " + string(e.Step) + ": " + joinLines(e.Err.Error())
	if h := e.Hint(); h != "" {
		msg += " — " + h
	}
	return msg
}

// Unwrap returns the cause.
func (e *StartError) Unwrap() error { return e.Err }

// Hint says what the operator can do.
func (e *StartError) Hint() string { return hints[e.Step] }

func startErr(step Step, err error) error {
	return &StartError{Step: step, Err: err}
}

// joinLines joins a multi-line message (a YAML error, a list of problems) into
// one line.
func joinLines(s string) string {
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "; ")
}
