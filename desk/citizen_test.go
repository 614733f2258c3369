package desk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// dialog runs fn with the desk as the dialog has it, in one transaction.
func (s *scene) dialog(fn func(d cases.Desk) error) error {
	return s.db.InTx(s.ctx, func(r cases.Repo) error { return fn(s.desk.With(r)) })
}

// What the citizen does through the dialog reaches the people on the case:
// a supplement goes to the one working on it (or else the lead
// department's handlers), a photo is kept as an attachment, a withdrawal
// tells them it is withdrawn. Nobody may touch another citizen's case, and
// a withdrawn case takes no second withdrawal.
func TestCitizenSupplementsAndWithdraws(t *testing.T) {
	s := threeCases(t)

	if err := s.dialog(func(d cases.Desk) error {
		return d.Supplement(s.ctx, "BC2611300001", "wmA", "这是退休证的号码", nil)
	}); err != nil {
		t.Fatal(err)
	}
	s.expect("→wangwu: 案件 BC2611300001 群众补充了材料：这是退休证的号码")

	photo := &cases.Attachment{Kind: "image", FileName: "证明.jpg", ContentType: "image/jpeg", Data: []byte("\xff\xd8\xff photo")}
	if err := s.dialog(func(d cases.Desk) error { return d.Supplement(s.ctx, "BC2611300002", "wmB", "", photo) }); err != nil {
		t.Fatal(err)
	}
	s.expect("→zhaoliu: 案件 BC2611300002 群众补充了材料：[照片]")
	if diff := cmp.Diff([]string{
		"citizen:wmB message_in: 群众 补充材料：[照片]",
		"citizen:wmB attachment: 群众发送了照片 证明.jpg",
	}, s.timeline("BC2611300002", 4)); diff != "" {
		t.Errorf("timeline after the photo (-want +got):\n%s", diff)
	}
	atts, err := s.db.Attachments(s.ctx, s.reload("BC2611300002").ID)
	if err != nil || len(atts) != 1 || atts[0].FileName != "证明.jpg" {
		t.Errorf("attachments of 0002: %+v, %v; want the photo", atts, err)
	}

	if err := s.dialog(func(d cases.Desk) error { return d.Supplement(s.ctx, "BC2611300003", "wmA", "不是我的案件", nil) }); !errors.Is(err, cases.ErrNotFound) {
		t.Errorf("wmA supplementing wmC's case: %v, want ErrNotFound", err)
	}
	s.expect()

	if err := s.dialog(func(d cases.Desk) error { return d.Withdraw(s.ctx, "BC2611300002", "wmB", "已经解决了") }); err != nil {
		t.Fatal(err)
	}
	s.expect("→zhaoliu: 案件 BC2611300002 已由群众撤回。")
	if got := s.reload("BC2611300002"); got.Status != cases.StatusWithdrawn || got.ClosedAt == nil {
		t.Errorf("withdrawn case: %s, closed at %v", got.Status, got.ClosedAt)
	}
	err = s.dialog(func(d cases.Desk) error { return d.Withdraw(s.ctx, "BC2611300002", "wmB", "再撤一次") })
	if !errors.Is(err, cases.ErrNotOpen) {
		t.Errorf("withdrawing again: %v, want ErrNotOpen", err)
	}
	err = s.dialog(func(d cases.Desk) error { return d.Supplement(s.ctx, "BC2611300002", "wmB", "补一句", nil) })
	if !errors.Is(err, cases.ErrNotOpen) {
		t.Errorf("supplementing a withdrawn case: %v, want ErrNotOpen", err)
	}
	s.expect()
}

// A citizen asking for a person is noted on the case they talk about, or
// on their newest open one; one without a case has nothing noted. While a
// person has the chat, what passes in it goes on the newest unfinished case.
func TestHandoverAndChatGoOnTheCase(t *testing.T) {
	s := threeCases(t)
	for _, reporter := range []string{"wmA", "wmNobody"} {
		if err := s.dialog(func(d cases.Desk) error { return d.Handover(s.ctx, "wkSANDBOX001", reporter, "") }); err != nil {
			t.Fatalf("handover of %s: %v", reporter, err)
		}
	}
	if err := s.dialog(func(d cases.Desk) error { return d.Handover(s.ctx, "wkSANDBOX001", "wmB", "BC2611300002") }); err != nil {
		t.Fatal(err)
	}
	s.later(time.Minute)
	for _, chat := range []struct {
		reporter string
		actor    cases.Actor
		kind     cases.EventKind
		body     string
	}{
		{"wmA", cases.StaffActor("servicer1"), cases.EventMessageOut, "您好，我是客服小王"},
		{"wmA", cases.CitizenActor("wmA"), cases.EventMessageIn, "钱什么时候到账？"},
		{"wmNobody", cases.CitizenActor("wmNobody"), cases.EventMessageIn, "在吗"},
	} {
		if err := s.db.InTx(s.ctx, func(r cases.Repo) error {
			return s.desk.RecordChat(s.ctx, r, chat.reporter, chat.actor, chat.kind, chat.body)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{
		"citizen:wmA handover: 群众请求人工服务",
		"staff:servicer1 message_out: 您好，我是客服小王",
		"citizen:wmA message_in: 钱什么时候到账？",
	}, s.timeline("BC2611300001", 5)); diff != "" {
		t.Errorf("timeline of wmA's case (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"citizen:wmB handover: 群众请求人工服务"}, s.timeline("BC2611300002", 4)); diff != "" {
		t.Errorf("timeline of wmB's case (-want +got):\n%s", diff)
	}
	s.expect() // nothing is sent to anyone
}

// Asked where their cases stand, the citizen reads each case's status in
// their words and the last thing that happened that they may read:
// internal notes and who looked at their data are not among them.
func TestCitizenAsksWhereCasesStand(t *testing.T) {
	s := threeCases(t)
	s.types("wangwu", "备注 0001 内部：等档案馆")
	s.types("wangwu", "查 0001")
	var views []cases.CaseView
	if err := s.dialog(func(d cases.Desk) error {
		var err error
		views, err = d.ReporterCases(s.ctx, "wkSANDBOX001", "wmA")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := []cases.CaseView{{Number: "BC2611300001", Category: "养老保险", StatusText: "相关部门正在办理",
		LastUpdate: "王五 开始办理", Working: true, Deadline: s.reload("BC2611300001").Deadline}}
	if diff := cmp.Diff(want, views); diff != "" {
		t.Errorf("wmA's cases (-want +got):\n%s", diff)
	}
}

// Around the desk: a note of the system's on a case, and a line for the
// window's duty staff (a message the product gave up on).
func TestNoteAndTellWindow(t *testing.T) {
	s := threeCases(t)
	c := s.reload("BC2611300003")
	s.inTx(func(r cases.Repo) error {
		return s.desk.Note(s.ctx, r, c.ID, s.now, "Open311 报告人留下的联系方式：某某", `{"contact":"x"}`)
	})
	s.inTx(func(r cases.Repo) error {
		return s.desk.TellWindow(s.ctx, r, "wkSANDBOX001", "有一条群众消息多次处理失败，请查看")
	})
	s.expect(
		"→zhangsan: 有一条群众消息多次处理失败，请查看",
		"→lisi: 有一条群众消息多次处理失败，请查看",
		"→qianyi: 有一条群众消息多次处理失败，请查看",
	)
	if diff := cmp.Diff([]string{"system note: Open311 报告人留下的联系方式：某某"}, s.timeline(c.Number, 2)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}
