package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage/storagetest"
)

const adminToken = "test-admin-token-0123456789"

func apiServer(t *testing.T, token string) (*httptest.Server, cases.Repo) {
	t.Helper()
	repo := storagetest.SQLite(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(NewRouter(Routes{
		API:   &API{Repo: repo, Token: token},
		Ready: map[string]Pinger{"database": repo},
		Log:   log,
	}))
	t.Cleanup(srv.Close)
	return srv, repo
}

func getJSON(t *testing.T, url, token string, into any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatalf("decode %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

func seedCase(t *testing.T, repo cases.Repo, status cases.Status) *cases.Case {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	num, err := repo.NextNumber(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	c := &cases.Case{Number: num, ReporterID: "wm1", Status: status, Category: "pension",
		Affected:     cases.Person{Name: "王大爷", IDNumber: "11010519491231002X", Phone: "13812345678"},
		ContactPhone: "13812345678", Description: "养老金停发了", Light: cases.LightGreen, CreatedAt: now, UpdatedAt: now}
	if err := repo.CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := repo.AppendEvent(ctx, &cases.Event{CaseID: c.ID, At: now, Actor: "bot", Kind: cases.EventSubmitted, Body: "群众提交了反映"}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAPIListAndGetCase(t *testing.T) {
	srv, repo := apiServer(t, adminToken)
	open := seedCase(t, repo, cases.StatusSubmitted)
	seedCase(t, repo, cases.StatusClosed)

	var list struct {
		Cases []struct {
			Number       string `json:"number"`
			Status       string `json:"status"`
			StatusText   string `json:"status_text"`
			ContactPhone string `json:"contact_phone"`
			Affected     struct {
				IDNumber string `json:"id_number"`
			} `json:"affected"`
		} `json:"cases"`
	}
	if code := getJSON(t, srv.URL+"/api/cases?status=submitted", adminToken, &list); code != 200 {
		t.Fatalf("list: %d", code)
	}
	if len(list.Cases) != 1 || list.Cases[0].Number != open.Number || list.Cases[0].StatusText != "待受理" {
		t.Fatalf("filtered list: %+v", list.Cases)
	}
	if got := list.Cases[0]; got.ContactPhone != "138****5678" || strings.Contains(got.Affected.IDNumber, "19491231") {
		t.Errorf("personal data not masked: %+v", got)
	}

	var one struct {
		Case     map[string]any `json:"case"`
		Timeline []cases.Event  `json:"timeline"`
	}
	if code := getJSON(t, srv.URL+"/api/cases/"+open.Number, adminToken, &one); code != 200 {
		t.Fatalf("get: %d", code)
	}
	if len(one.Timeline) != 1 || one.Timeline[0].Kind != cases.EventSubmitted {
		t.Errorf("timeline: %+v", one.Timeline)
	}
	if code := getJSON(t, srv.URL+"/api/cases/BC0000000000", adminToken, nil); code != 404 {
		t.Errorf("unknown case: %d, want 404", code)
	}
	if code := getJSON(t, srv.URL+"/api/cases?status=lost", adminToken, nil); code != 400 {
		t.Errorf("unknown status: %d, want 400", code)
	}
	if code := getJSON(t, srv.URL+"/api/cases?limit=9999", adminToken, nil); code != 400 {
		t.Errorf("limit out of range: %d, want 400", code)
	}
}

func TestAPIAuth(t *testing.T) {
	srv, _ := apiServer(t, adminToken)
	if code := getJSON(t, srv.URL+"/api/cases", "", nil); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
	if code := getJSON(t, srv.URL+"/api/cases", "wrong-token-0123456789", nil); code != 401 {
		t.Errorf("wrong token: %d, want 401", code)
	}
	closed, _ := apiServer(t, "")
	if code := getJSON(t, closed.URL+"/api/cases", adminToken, nil); code != 403 {
		t.Errorf("API without a configured token: %d, want 403", code)
	}
}

type downPinger struct{}

func (downPinger) Ping(context.Context) error { return errors.New("down") }

func TestHealthAndReadiness(t *testing.T) {
	srv, repo := apiServer(t, adminToken)
	if code := getJSON(t, srv.URL+"/healthz", "", nil); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	if code := getJSON(t, srv.URL+"/readyz", "", nil); code != 200 {
		t.Errorf("readyz with the database up: %d", code)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	down := httptest.NewServer(NewRouter(Routes{Ready: map[string]Pinger{"database": repo, "redis": downPinger{}}, Log: log}))
	defer down.Close()
	var body map[string]string
	if code := getJSON(t, down.URL+"/readyz", "", &body); code != 503 || body["redis"] != "unreachable" {
		t.Errorf("readyz with redis down: %d %v", code, body)
	}
}

// ID and phone numbers typed into free text (the description, what the
// citizen tried, timeline notes and their detail, messages sent) come out of
// the API masked as on the staff pages, whichever way they were typed.
func TestAPIMasksFreeText(t *testing.T) {
	srv, repo := apiServer(t, adminToken)
	ctx := context.Background()
	now := time.Now()
	c := &cases.Case{Number: "BC2611280001", ReporterID: "wm1", Status: cases.StatusAssigned, Category: "pension",
		Description: "我的身份证 370102196107151239，电话 138 1234 5678", TriedAnswer: "窗口让我打 0531-86012345",
		Resolution: "已回电 13912345678", Light: cases.LightGreen, CreatedAt: now, UpdatedAt: now}
	if err := repo.CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*cases.Event{
		{Kind: cases.EventNote, Actor: "staff:wangwu", Body: "老人说身份证是３７０１０２１９６１０７１５１２３９，手机13812345678"},
		{Kind: cases.EventStatus, Actor: "staff:wangwu", Body: "回复群众", Data: `{"action":"reply","text":"请拨 13812345678 联系","limit_days":15}`},
	} {
		e.CaseID, e.At = c.ID, now
		if err := repo.AppendEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := repo.Enqueue(ctx, &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wm1",
		Message: cases.Message{Text: "请带身份证 370102196107151239 来", Menu: []cases.MenuItem{{ID: "m1", Text: "打 13812345678"}}},
		Status:  cases.OutboxPending, NextAttemptAt: now, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"370102196107151239", "３７０１０２１９６１０７１５１２３９", "13812345678", "138 1234 5678", "0531-86012345", "86012345", "13912345678"}
	for _, path := range []string{"/api/cases", "/api/cases/" + c.Number} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body := string(raw)
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s shows %q:\n%s", path, s, body)
			}
		}
		for _, s := range []string{"370*************39", "138****5678", "053*****2345"} {
			if !strings.Contains(body, s) {
				t.Errorf("%s lacks the masked %q:\n%s", path, s, body)
			}
		}
	}
	var one struct {
		Timeline []cases.Event `json:"timeline"`
	}
	if code := getJSON(t, srv.URL+"/api/cases/"+c.Number, adminToken, &one); code != 200 || len(one.Timeline) != 2 {
		t.Fatalf("get: %d, %d events", code, len(one.Timeline))
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(one.Timeline[1].Data), &data); err != nil {
		t.Fatalf("the event's detail is no longer JSON: %v: %q", err, one.Timeline[1].Data)
	}
	if diff := cmp.Diff(map[string]any{"action": "reply", "text": "请拨 138****5678 联系", "limit_days": 15.0}, data); diff != "" {
		t.Errorf("event detail (-want +got):\n%s", diff)
	}
}
