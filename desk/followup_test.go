package desk_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/storage/storagetest"
)

// resolvedCase stores a case of 社保中心 assigned to 王五 and resolved.
func resolvedCase(t *testing.T, mod func(*cases.Case)) (*desk.Desk, cases.Repo, *cases.Case) {
	t.Helper()
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	resolved := now.Add(-time.Hour)
	d := exampleDesk(t, func() time.Time { return now })
	db := storagetest.SQLite(t)
	c := &cases.Case{Number: "BC2611300001", OpenKfID: "wkSANDBOX001", ReporterID: "wmA", ReporterName: "李阿姨",
		Relation: "本人", Category: "personal_data", LeadDept: "shebao", Assignee: "wangwu", Status: cases.StatusResolved,
		Resolution: "已更正姓名", ResolvedAt: &resolved, LimitDays: 10, Deadline: now.Add(10 * 24 * time.Hour), CreatedAt: now.Add(-48 * time.Hour)}
	if mod != nil {
		mod(c)
	}
	if err := db.CreateCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return d, db, c
}

func TestRate(t *testing.T) {
	tests := []struct {
		name       string
		rating     int
		solved     bool
		why        string
		status     cases.Status
		wantStatus cases.Status
		wantRated  cases.Rated
		wantStaff  []string // who was alerted
		wantErr    error
	}{
		{name: "very satisfied", rating: 1, solved: true, wantStatus: cases.StatusClosed, wantRated: cases.RatedClosed},
		{name: "basically satisfied", rating: 3, solved: true, wantStatus: cases.StatusClosed, wantRated: cases.RatedClosed},
		{name: "dissatisfied with a reason", rating: 4, solved: true, why: "窗口态度不好", wantStatus: cases.StatusAssigned,
			wantRated: cases.RatedReopened, wantStaff: []string{"liufang", "sunqi", "wangwu"}},
		{name: "rated well but not solved", rating: 2, solved: false, wantStatus: cases.StatusAssigned,
			wantRated: cases.RatedReopened, wantStaff: []string{"liufang", "sunqi", "wangwu"}},
		{name: "only not solved", rating: 0, solved: false, why: "还是查不到", wantStatus: cases.StatusAssigned,
			wantRated: cases.RatedReopened, wantStaff: []string{"liufang", "sunqi", "wangwu"}},
		{name: "out of range", rating: 7, solved: true, wantStatus: cases.StatusResolved, wantErr: cases.ErrRefused},
		{name: "still in progress", rating: 1, solved: true, status: cases.StatusInProgress, wantStatus: cases.StatusInProgress, wantErr: cases.ErrRefused},
		{name: "closed, and satisfied again", rating: 1, solved: true, status: cases.StatusClosed, wantStatus: cases.StatusClosed, wantErr: cases.ErrNotOpen},
		{name: "withdrawn", rating: 5, solved: false, status: cases.StatusWithdrawn, wantStatus: cases.StatusWithdrawn, wantErr: cases.ErrNotOpen},
		{name: "closed, now not solved", rating: 5, solved: false, why: "又停发了", status: cases.StatusClosed, wantStatus: cases.StatusAssigned,
			wantRated: cases.RatedReopened, wantStaff: []string{"liufang", "sunqi", "wangwu"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, db, c := resolvedCase(t, func(c *cases.Case) {
				if tt.status != "" {
					c.Status = tt.status
				}
			})
			ctx := context.Background()
			var rated cases.Rated
			err := db.InTx(ctx, func(r cases.Repo) error {
				var err error
				rated, err = d.Rate(ctx, r, c.Number, "wmA", tt.rating, tt.solved, tt.why)
				return err
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if rated != tt.wantRated {
				t.Errorf("rated %d, want %d", rated, tt.wantRated)
			}
			got, err := db.GetCase(ctx, c.Number)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("status %s, want %s", got.Status, tt.wantStatus)
			}
			if tt.wantErr == nil && tt.wantStatus == cases.StatusClosed && got.Satisfaction != tt.rating {
				t.Errorf("satisfaction %d, want %d", got.Satisfaction, tt.rating)
			}
			out, err := db.CaseOutbox(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var alerted []string
			for _, m := range out {
				if m.Channel == cases.ChannelApp && strings.Contains(m.Message.Text, "已重办") {
					alerted = append(alerted, m.Recipient)
				}
			}
			sort.Strings(alerted)
			if diff := cmp.Diff(tt.wantStaff, alerted); diff != "" {
				t.Errorf("alerted (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRateSomebodyElsesCase(t *testing.T) {
	d, db, c := resolvedCase(t, nil)
	ctx := context.Background()
	err := db.InTx(ctx, func(r cases.Repo) error {
		_, err := d.Rate(ctx, r, c.Number, "wmStranger", 1, true, "")
		return err
	})
	if !errors.Is(err, cases.ErrNotFound) {
		t.Fatalf("a stranger rated the case: %v", err)
	}
}

func TestFollowUpQuestion(t *testing.T) {
	self := &cases.Case{Number: "BC2611300001", Relation: "本人", Resolution: "已更正姓名"}
	proxy := &cases.Case{Number: "BC2611300002", Relation: "邻居", Affected: cases.Person{Name: "王大爷"}, Resolution: "已恢复发放"}
	long := &cases.Case{Number: "BC2611300003", Relation: "本人", Resolution: strings.Repeat("经核查，", 100)}

	q := desk.FollowUpQuestion(self)
	var menu []string
	for _, it := range q.Menu {
		menu = append(menu, it.ID+" "+it.Text)
	}
	want := []string{"rate:BC2611300001:1 1 非常满意", "rate:BC2611300001:2 2 满意", "rate:BC2611300001:3 3 基本满意", "rate:BC2611300001:4 4 不满意", "rate:BC2611300001:5 5 非常不满意", "rate:BC2611300001:0 6 问题没解决"}
	if diff := cmp.Diff(want, menu); diff != "" {
		t.Errorf("menu (-want +got):\n%s", diff)
	}
	if !strings.Contains(q.Text, "请问问题真正解决了吗") {
		t.Errorf("question to the reporter: %q", q.Text)
	}
	if p := desk.FollowUpQuestion(proxy); !strings.Contains(p.Text, "王大爷的问题真正解决了吗") || !strings.Contains(p.Text, "代王大爷") {
		t.Errorf("question to a proxy reporter: %q", p.Text)
	}

	tests := []struct {
		name string
		c    *cases.Case
		want int
	}{
		{"answer and question fit one menu", self, 1},
		{"a long answer goes first, on its own", long, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := desk.ResolveMessages(tt.c)
			if len(msgs) != tt.want {
				t.Fatalf("%d messages, want %d", len(msgs), tt.want)
			}
			last := msgs[len(msgs)-1]
			if len(last.Menu) != 6 || len(last.Text) > 1024 || !strings.Contains(msgs[0].Text, tt.c.Resolution[:9]) {
				t.Errorf("messages: %+v", msgs)
			}
		})
	}
}
