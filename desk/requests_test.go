package desk_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/staff"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// requestsFixture is a desk over the example directory whose clock the test
// moves, and a SQLite database with three open cases of 社保中心 reported by
// wmA (…0001, …0002, and …0004 through another kf account) and one of wmB
// (…0003).
type requestsFixture struct {
	t    *testing.T
	desk *desk.Desk
	db   *storage.SQL
	now  time.Time
}

func newRequestsFixture(t *testing.T) *requestsFixture {
	t.Helper()
	f := &requestsFixture{t: t, db: storagetest.SQLite(t), now: time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)}
	f.desk = exampleDesk(t, func() time.Time { return f.now })
	for _, c := range []struct{ number, kf, reporter string }{
		{"BC2611300001", "wkSANDBOX001", "wmA"},
		{"BC2611300002", "wkSANDBOX001", "wmA"},
		{"BC2611300003", "wkSANDBOX001", "wmB"},
		{"BC2611300004", "wkOTHER", "wmA"},
	} {
		err := f.db.CreateCase(context.Background(), &cases.Case{Number: c.number, OpenKfID: c.kf, ReporterID: c.reporter,
			Relation: "本人", Category: "pension", LeadDept: "shebao", Assignee: "wangwu", Status: cases.StatusInProgress,
			LimitDays: 15, Deadline: f.now.Add(20 * 24 * time.Hour), CreatedAt: f.now.Add(-48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// act has the handler 王五 do a command on case number, a minute later.
func (f *requestsFixture) act(action cases.Action, number, text string) {
	f.t.Helper()
	f.now = f.now.Add(time.Minute)
	err := f.db.InTx(context.Background(), func(r cases.Repo) error {
		_, err := f.desk.Act(context.Background(), r, "wangwu", staff.Command{Action: action, CaseRef: number, Text: text})
		return err
	})
	if err != nil {
		f.t.Fatalf("%s %s: %v", action, number, err)
	}
}

// supplement has the reporter of case number send text, a minute later.
func (f *requestsFixture) supplement(number, reporter string, att *cases.Attachment) {
	f.t.Helper()
	f.now = f.now.Add(time.Minute)
	err := f.db.InTx(context.Background(), func(r cases.Repo) error {
		return f.desk.With(r).Supplement(context.Background(), number, reporter, "", att)
	})
	if err != nil {
		f.t.Fatalf("supplement %s: %v", number, err)
	}
}

func TestMaterialRequests(t *testing.T) {
	photo := func() *cases.Attachment {
		return &cases.Attachment{Kind: "image", FileName: "退休证.jpg", ContentType: "image/jpeg", Data: []byte("\xff\xd8\xff")}
	}
	tests := []struct {
		name     string
		do       func(f *requestsFixture)
		kf       string
		reporter string
		want     []string // case number: what was asked
	}{
		{name: "nothing asked", do: func(f *requestsFixture) {}},
		{name: "asked", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300001", "请拍退休证照片")
		}, want: []string{"BC2611300001: 请拍退休证照片"}},
		{name: "asked, and the citizen sent a photo", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300001", "请拍退休证照片")
			f.supplement("BC2611300001", "wmA", photo())
		}},
		{name: "sent something, then asked for more", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300001", "请拍退休证照片")
			f.supplement("BC2611300001", "wmA", photo())
			f.act(cases.ActionAskMaterial, "BC2611300001", "还要身份证背面")
		}, want: []string{"BC2611300001: 还要身份证背面"}},
		{name: "asked twice, answered once", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300001", "请拍退休证照片")
			f.act(cases.ActionAskMaterial, "BC2611300001", "还要身份证背面")
			f.supplement("BC2611300001", "wmA", photo())
		}},
		{name: "a reply or a note does not answer it", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300001", "请拍退休证照片")
			f.act(cases.ActionReply, "BC2611300001", "拍清楚一点")
			f.act(cases.ActionNote, "BC2611300001", "等材料")
		}, want: []string{"BC2611300001: 请拍退休证照片"}},
		{name: "two cases, the newest request first", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300002", "请拍工资单")
			f.act(cases.ActionAskMaterial, "BC2611300001", "请拍退休证照片")
		}, want: []string{"BC2611300001: 请拍退休证照片", "BC2611300002: 请拍工资单"}},
		{name: "the case was resolved without it", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300001", "请拍退休证照片")
			f.act(cases.ActionResolve, "BC2611300001", "已核实，恢复发放")
		}},
		{name: "another reporter's request is not theirs", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300003", "请拍退休证照片")
		}},
		{name: "another kf account's case is left out", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300004", "请拍退休证照片")
		}},
		{name: "asked through another kf account", kf: "wkOTHER", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300004", "请拍退休证照片")
			f.act(cases.ActionAskMaterial, "BC2611300001", "请拍工资单")
		}, want: []string{"BC2611300004: 请拍退休证照片"}},
		{name: "the other reporter asks", reporter: "wmB", do: func(f *requestsFixture) {
			f.act(cases.ActionAskMaterial, "BC2611300003", "请拍退休证照片")
			f.act(cases.ActionAskMaterial, "BC2611300001", "请拍工资单")
		}, want: []string{"BC2611300003: 请拍退休证照片"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRequestsFixture(t)
			tt.do(f)
			kf, reporter := tt.kf, tt.reporter
			if kf == "" {
				kf = "wkSANDBOX001"
			}
			if reporter == "" {
				reporter = "wmA"
			}
			var got []string
			err := f.db.InTx(context.Background(), func(r cases.Repo) error {
				views, err := f.desk.With(r).MaterialRequests(context.Background(), kf, reporter)
				for _, v := range views {
					if !v.Working || v.Category == "" {
						t.Errorf("view %+v", v)
					}
					got = append(got, v.Number+": "+v.LastUpdate)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("material requests (-want +got):\n%s", diff)
			}
		})
	}
}
