package app

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/storage"
)

// What the tests read of the product they read as its users do: the staff
// JSON API (/api/cases, with the admin token), the staff pages (signed in
// through WeCom), /metrics (with the metrics token), Open311, and what WeCom
// received (the sandbox). The types below are the API's, as
// handlers/openapi.json documents them, with only the fields a test reads.

// apiCase is a case as the API shows it: phone numbers masked.
type apiCase struct {
	Number       string       `json:"number"`
	Source       cases.Source `json:"source"`
	ReporterID   string       `json:"reporter_id"`
	ReporterName string       `json:"reporter_name"`
	Affected     apiPerson    `json:"affected"`
	Relation     string       `json:"relation"`
	ContactPhone string       `json:"contact_phone"`
	TriedWindow  string       `json:"tried_window"`
	Description  string       `json:"description"`
	LeadDept     string       `json:"lead_dept"`
	CoDepts      []string     `json:"co_depts"`
	Status       cases.Status `json:"status"`
	Deadline     time.Time    `json:"deadline"`
	Reopened     int          `json:"reopened"`
}

type apiPerson struct {
	Name string `json:"name"`
}

// apiEvent is one entry of a case's timeline.
type apiEvent struct {
	Actor string          `json:"actor"`
	Kind  cases.EventKind `json:"kind"`
	Body  string          `json:"body"`
	Data  string          `json:"data"`
}

// apiAttachment is a file kept with a case; its bytes are on the staff
// pages (/web/attachments/{id}).
type apiAttachment struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"`
	Size int64  `json:"size"`
}

// apiNotification is a message the bureau owed somebody about a case, and
// its fate.
type apiNotification struct {
	ID            int64              `json:"id"`
	Channel       cases.Channel      `json:"channel"`
	Recipient     string             `json:"recipient"`
	Message       apiMessage         `json:"message"`
	Priority      int                `json:"priority"`
	Status        cases.OutboxStatus `json:"status"`
	NextAttemptAt time.Time          `json:"next_attempt_at"`
	LastError     string             `json:"last_error"`
	WeComMsgID    string             `json:"wecom_msgid"`
	CreatedAt     time.Time          `json:"created_at"`
}

type apiMessage struct {
	Text string `json:"text"`
}

// apiCaseDetail answers GET /api/cases/{number}.
type apiCaseDetail struct {
	Case          apiCase           `json:"case"`
	Timeline      []apiEvent        `json:"timeline"`
	Attachments   []apiAttachment   `json:"attachments"`
	Notifications []apiNotification `json:"notifications"`
}

// get reads an answer of the product with a bearer token into a JSON value
// (a *string takes the body as it is); anything but 200 fails the test.
func (p *product) get(path, token string, into any) {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.app.URL()+path, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
	if res.StatusCode != http.StatusOK {
		p.t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
	}
	if s, ok := into.(*string); ok {
		*s = string(body)
		return
	}
	if err := json.Unmarshal(body, into); err != nil {
		p.t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

// caseDetail is what the staff API shows of a case: the case, its timeline,
// attachments and notifications.
func (p *product) caseDetail(number string) apiCaseDetail {
	p.t.Helper()
	var d apiCaseDetail
	p.get("/api/cases/"+number, p.cfg.AdminToken, &d)
	return d
}

// caseList is every case the staff API lists.
func (p *product) caseList() []apiCase {
	p.t.Helper()
	var list struct {
		Cases []apiCase `json:"cases"`
	}
	p.get("/api/cases?limit=500", p.cfg.AdminToken, &list)
	return list.Cases
}

// metrics reads /metrics: each series ("name{labels}") and its value.
func (p *product) metrics() map[string]float64 {
	p.t.Helper()
	var text string
	p.get("/metrics", p.cfg.MetricsToken, &text)
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			p.t.Fatalf("metrics: unreadable line %q", line)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		p.t.Fatal(err)
	}
	return out
}

// metric is one series of /metrics; 0 when the product has not counted it.
func (p *product) metric(series string) float64 {
	p.t.Helper()
	return p.metrics()[series]
}

// counted describes what the product has counted of its callbacks, messages
// and notifications, for a failing test's message.
func (p *product) counted() string {
	p.t.Helper()
	var lines []string
	for k, v := range p.metrics() {
		if strings.HasPrefix(k, "bcs_") && !strings.HasPrefix(k, "bcs_callback_seconds") {
			lines = append(lines, k+" "+strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	return strings.Join(lines, "\n")
}

// waitLimit bounds every wait for the product: generous, so that only an
// effect that never comes fails a test, however loaded the machine.
const waitLimit = time.Minute

// waitUntil waits until cond holds and reports whether it did within
// waitLimit. It looks less and less often: each look reads the product, and
// on SQLite (one connection) a test reading it all the time would slow down
// what it waits for.
func waitUntil(cond func() bool) bool {
	return waitFrom(5*time.Millisecond, cond)
}

// waitFrom is waitUntil looking first after pause: for what takes at least
// that long.
func waitFrom(pause time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
	return true
}

// eventually waits until cond holds, or fails the test saying what did not
// happen.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(cond) {
		t.Fatalf("%s: not within %s", what, waitLimit)
	}
}

// now is the product's time.
func (p *product) now() time.Time {
	if p.opt.Now != nil {
		return p.opt.Now()
	}
	return time.Now()
}

// busy reports whether a notification of the case is due or being sent: a
// message claimed by a sender has its next try a lease ahead.
func (p *product) busy(d apiCaseDetail) bool {
	limit := p.now().Add(storage.LeaseTTL)
	for _, n := range d.Notifications {
		if n.Status == cases.OutboxPending && !n.NextAttemptAt.After(limit) {
			return true
		}
	}
	return false
}

// settleCases waits until no notification of these cases is due or being
// sent.
func (p *product) settleCases(numbers ...string) {
	p.t.Helper()
	eventually(p.t, "notifications of "+strings.Join(numbers, ", ")+" settled", func() bool {
		for _, n := range numbers {
			if p.busy(p.caseDetail(n)) {
				return false
			}
		}
		return true
	})
}

// describe says where a case stands and what became of its notifications,
// for a failing test's message.
func (p *product) describe(number string) string {
	p.t.Helper()
	d := p.caseDetail(number)
	var b strings.Builder
	b.WriteString("case " + number + ": " + string(d.Case.Status) + "\n")
	for _, n := range d.Notifications {
		b.WriteString("  " + string(n.Channel) + " " + string(n.Status) + " to " + n.Recipient + ": " + strings.SplitN(n.Message.Text, "\n", 2)[0])
		if n.Status == cases.OutboxPending {
			b.WriteString(" (due " + n.NextAttemptAt.Format(time.DateTime) + ")")
		}
		if n.LastError != "" {
			b.WriteString(" (" + n.LastError + ")")
		}
		b.WriteString("\n")
	}
	return b.String()
}
