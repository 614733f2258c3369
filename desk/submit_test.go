package desk_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/metrics"
)

// The dialog submits what the citizen said and sent: the case gets the
// next number of the day, its category's department and time limit, the
// citizen's words and photo on its timeline, the photo kept, one card for
// the window's duty staff, and the count of submitted cases goes up.
func TestSubmit(t *testing.T) {
	s := newScene(t)
	m := metrics.New()
	cfg := exampleConfig(t, func() time.Time { return s.now })
	cfg.Metrics = m
	s.desk = desk.New(cfg)
	s.app.Desk = s.desk
	photo := &cases.Attachment{Kind: "image", FileName: "退休证.jpg", ContentType: "image/jpeg", Data: []byte("\xff\xd8\xff photo")}
	c := &cases.Case{OpenKfID: "wkSANDBOX001", ReporterID: "wmA", ReporterName: "王先生", Relation: "子女",
		Affected: cases.Person{Name: "王大爷"}, Category: "retirement", Description: "档案里的出生日期和身份证不一致，退休办不了"}
	err := s.dialog(func(d cases.Desk) error {
		return d.Submit(s.ctx, c, []*cases.Attachment{photo}, []string{"档案里的出生日期和身份证不一致", "退休办不了"})
	})
	if err != nil {
		t.Fatal(err)
	}
	got := s.reload(c.Number)
	if got.Number != "BC2611300001" || got.Status != cases.StatusSubmitted || got.LeadDept == "" || got.LimitDays == 0 {
		t.Errorf("submitted case: %s, %s, lead %q, limit %d", got.Number, got.Status, got.LeadDept, got.LimitDays)
	}
	s.expect("→zhangsan|lisi|qianyi: [卡片 new-BC2611300001 新案件待受理：档案里的出生日期和身份证不一致，退休办不了]")
	tl := s.timeline(c.Number, 1)
	if diff := cmp.Diff([]string{
		"citizen:wmA message_in: 档案里的出生日期和身份证不一致",
		"citizen:wmA message_in: 退休办不了",
		"citizen:wmA attachment: 群众发送了照片 退休证.jpg",
	}, tl); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	atts, err := s.db.Attachments(s.ctx, got.ID)
	if err != nil || len(atts) != 1 || !atts[0].CreatedAt.Equal(s.now) {
		t.Errorf("attachments: %+v, %v; want the photo, kept when submitted", atts, err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "bcs_cases_submitted_total 1\n") {
		t.Errorf("submitted cases not counted once:\n%s", rec.Body.String())
	}

	// The next one that day is 0002; one to a kf account no window claims
	// is announced to every window member, never to nobody.
	other := &cases.Case{OpenKfID: "wkNOWINDOW", ReporterID: "wmB", Relation: "本人", Category: "pension", Description: "养老金停发"}
	if err := s.dialog(func(d cases.Desk) error { return d.Submit(s.ctx, other, nil, nil) }); err != nil {
		t.Fatal(err)
	}
	if other.Number != "BC2611300002" {
		t.Errorf("second case numbered %s", other.Number)
	}
	s.expect("→zhangsan|lisi|qianyi: [卡片 new-BC2611300002 新案件待受理：养老金停发]")
}

// A category the directory does not have (the file changed under a
// dialog) is not submitted: nothing is stored, no number is used.
func TestSubmitUnknownCategory(t *testing.T) {
	s := newScene(t)
	c := &cases.Case{OpenKfID: "wkSANDBOX001", ReporterID: "wmA", Relation: "本人", Category: "weather", Description: "天气不好"}
	if err := s.dialog(func(d cases.Desk) error { return d.Submit(s.ctx, c, nil, nil) }); err == nil {
		t.Fatal("a case of an unknown category was submitted")
	}
	if list, err := s.db.ListCases(s.ctx, cases.Filter{}); err != nil || len(list) != 0 {
		t.Errorf("cases stored: %d, %v", len(list), err)
	}
	s.expect()
	// The categories the dialog offers are the directory's.
	var keys []string
	for _, cat := range s.desk.With(s.db).Categories() {
		keys = append(keys, cat.Key)
	}
	if diff := cmp.Diff([]string{"pension", "transfer", "retirement", "archive", "personal_data", "payment", "employment", "other"}, keys); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
}

// The follow-up waits on resolved cases only, those of the kf account the
// citizen writes to, newest first, each with its answer.
func TestFollowUpsWaiting(t *testing.T) {
	s := threeCases(t)
	s.types("wangwu", "办结 0001 已为您恢复发放")
	s.later(time.Minute)
	s.report("wmA", "pension", "又停发了")
	s.types("zhangsan", "派单 0004 社保中心")
	s.types("wangwu", "办结 0004 已再次恢复")
	var views []cases.CaseView
	if err := s.dialog(func(d cases.Desk) error {
		var err error
		views, err = d.FollowUps(s.ctx, "wkSANDBOX001", "wmA")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range views {
		got = append(got, v.Number+" "+v.StatusText+" "+v.LastUpdate)
	}
	if diff := cmp.Diff([]string{"BC2611300004 已办结，请您评价办理结果 已再次恢复", "BC2611300001 已办结，请您评价办理结果 已为您恢复发放"}, got); diff != "" {
		t.Errorf("waiting for the follow-up (-want +got):\n%s", diff)
	}
	if err := s.dialog(func(d cases.Desk) error {
		var err error
		views, err = d.FollowUps(s.ctx, "wkOTHER", "wmA")
		return err
	}); err != nil || len(views) != 0 {
		t.Errorf("through another kf account: %+v, %v; want none", views, err)
	}
}
