package desk_test

import (
	"context"
	"testing"

	"banchengshi/cases"
)

// staleCase is a transaction that read case old before another member's
// change committed: it still sees old, as a MySQL snapshot would.
type staleCase struct {
	cases.Repo
	old *cases.Case
}

func (s staleCase) GetCase(ctx context.Context, number string) (*cases.Case, error) {
	if number == s.old.Number {
		c := *s.old
		return &c, nil
	}
	return s.Repo.GetCase(ctx, number)
}

func (s staleCase) InTx(ctx context.Context, fn func(cases.Repo) error) error {
	return s.Repo.InTx(ctx, func(r cases.Repo) error { return fn(staleCase{r, s.old}) })
}

// typesStale is user typing text in a transaction that read the case
// before what happened since.
func (s *scene) typesStale(old *cases.Case, user, text string) {
	s.t.Helper()
	s.inTx(func(r cases.Repo) error {
		return s.app.HandleApp(s.ctx, staleCase{r, old}, cases.AppMessage{UserID: user, Kind: cases.AppText, Text: text})
	})
}

// Two members act on one case at once. The second to commit is refused,
// told from what is committed who had it and where it stands, and nothing
// of its command is kept: the citizen hears only of the first.
func TestTwoMembersAtOnce(t *testing.T) {
	s := newScene(t)
	s.report("wmA", "pension", "养老金停发")
	s.types("qianyi", "受理 0001")
	s.queued()
	before := s.reload("BC2611300001")

	s.types("lisi", "派单 0001 社保中心")
	s.queued()
	s.typesStale(before, "zhangsan", "派单 0001 档案馆")
	s.expect("→zhangsan: 案件 BC2611300001 已由 钱一 受理，现在是“已派单”。")
	if got := s.reload("BC2611300001"); got.LeadDept != "shebao" {
		t.Errorf("lead department %q, want shebao: the first assignment stands", got.LeadDept)
	}

	// A merge whose target the citizen withdrew meanwhile.
	s.report("wmB", "pension", "养老金也停发了")
	s.queued()
	target := s.reload("BC2611300002")
	if err := s.dialog(func(d cases.Desk) error { return d.Withdraw(s.ctx, "BC2611300002", "wmB", "不用了") }); err != nil {
		t.Fatal(err)
	}
	s.queued()
	s.typesStale(target, "zhangsan", "并案 0001 0002")
	s.expect("→zhangsan: 案件 BC2611300002 刚被其他人处理，现在是“已撤回”，请回复“查 BC2611300002”看看。")
	if got := s.reload("BC2611300001"); got.Status != cases.StatusAssigned {
		t.Errorf("the case to be merged is %s, want still assigned", got.Status)
	}
}
