package staff

import (
	"errors"
	"strings"
	"testing"

	"banchengshi/cases"
)

// The three cases every role is tried on, seen from 社保中心 (shebao):
// its own lead case, a case it co-handles, and another department's case.
var (
	leadCase  = &cases.Case{Number: "BC2611280001", LeadDept: "shebao", CoDepts: []string{"dangan"}}
	coCase    = &cases.Case{Number: "BC2611280002", LeadDept: "dangan", CoDepts: []string{"jiuye", "shebao"}}
	otherCase = &cases.Case{Number: "BC2611280003", LeadDept: "jiuye", CoDepts: []string{"dangan"}}
)

var (
	windowStaff = &Member{ID: "w", Depts: []string{"window"}, Roles: []Role{RoleWindow}}
	handler     = &Member{ID: "h", Depts: []string{"shebao"}, Roles: []Role{RoleHandler}}
	supervisor  = &Member{ID: "s", Depts: []string{"shebao"}, Roles: []Role{RoleSupervisor}}
)

func TestPermissionMatrix(t *testing.T) {
	// Each row: what window staff, a 社保中心 handler and a 社保中心 supervisor
	// may do on the lead, co-handled and other case ("Y" allowed, "." refused).
	// A supervisor listed without departments may do the supervisor's column
	// on every case (TestBureauWideSupervisor).
	for _, tc := range []struct {
		action                     cases.Action
		window, handler, supervise string
	}{
		{cases.ActionAccept, "YYY", "...", "YY."},
		{cases.ActionAssign, "YYY", "...", "YY."},
		{cases.ActionStart, "...", "YY.", "YY."},
		{cases.ActionReply, "YYY", "YY.", "YY."},
		{cases.ActionNote, "YYY", "YY.", "YY."},
		{cases.ActionAskMaterial, "YYY", "YY.", "YY."},
		{cases.ActionExtend, "...", "Y..", "YY."},
		{cases.ActionReturn, "...", "Y..", "YY."},
		{cases.ActionResolve, "...", "Y..", "YY."},
		{cases.ActionAccountability, "YYY", "YY.", "YY."},
		{cases.ActionCommon, "YYY", "YY.", "YY."},
		{cases.ActionMerge, "YYY", "...", "YY."},
		{cases.ActionView, "YYY", "YY.", "YY."},
		{cases.ActionFollowUpResult, "YYY", "YY.", "YY."},
		{cases.ActionReopen, "...", "...", "YY."},
		{cases.ActionClose, "...", "...", "YY."},
		// The citizen's own actions: no staff member takes them.
		{cases.ActionSubmit, "...", "...", "..."},
		{cases.ActionSupplement, "...", "...", "..."},
		{cases.ActionWithdraw, "...", "...", "..."},
		{cases.ActionRate, "...", "...", "..."},
	} {
		for _, role := range []struct {
			name string
			m    *Member
			want string
		}{{"window", windowStaff, tc.window}, {"handler", handler, tc.handler}, {"supervisor", supervisor, tc.supervise}} {
			for i, c := range []*cases.Case{leadCase, coCase, otherCase} {
				want := role.want[i] == 'Y'
				err := Can(role.m, tc.action, c)
				if (err == nil) != want {
					t.Errorf("%s %s on %s case: allowed=%v, want %v (%v)", role.name, tc.action, []string{"lead", "co", "other"}[i], err == nil, want, err)
				}
				if err != nil && !errors.Is(err, ErrForbidden) {
					t.Errorf("%s %s: refusal does not wrap ErrForbidden: %v", role.name, tc.action, err)
				}
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	multi := &Member{ID: "m", Depts: []string{"dangan"}, Roles: []Role{RoleWindow, RoleHandler}}
	for _, tc := range []struct {
		name   string
		m      *Member
		action cases.Action
		c      *cases.Case
		reason Reason // "" for allowed
		text   string // a part of the refusal's wording
	}{
		{"not in the directory", nil, cases.ActionView, leadCase, ReasonNotMember, "不在本窗口的工作人员名单中"},
		{"role without the action", handler, cases.ActionAccept, leadCase, ReasonNoPermission, "您的岗位不能“受理”"},
		{"other department's case", handler, cases.ActionReply, otherCase, ReasonNotYourDept, "不在您所在部门的办理范围内，不能“回复群众”"},
		{"co-handler cannot resolve", handler, cases.ActionResolve, coCase, ReasonLeadOnly, "“办结”由主办部门办理"},
		{"co-handler cannot extend", handler, cases.ActionExtend, coCase, ReasonLeadOnly, "由主办部门办理"},
		{"lead handler of another case", handler, cases.ActionResolve, otherCase, ReasonNotYourDept, "不在您所在部门的办理范围内"},
		{"citizen action", supervisor, cases.ActionWithdraw, leadCase, ReasonCitizenOnly, "“撤回”由群众本人操作"},
		{"unknown action", supervisor, cases.Action("launch"), leadCase, ReasonCitizenOnly, "由群众本人操作"},
		{"no case: the role has the action somewhere", handler, cases.ActionResolve, nil, "", ""},
		{"no case: the role never has it", handler, cases.ActionAccept, nil, ReasonNoPermission, "您的岗位不能“受理”"},
		{"two roles: window part accepts", multi, cases.ActionAccept, otherCase, "", ""},
		{"two roles: handler part resolves own case", multi, cases.ActionResolve, coCase, "", ""},
		{"two roles: co-handler part cannot resolve", multi, cases.ActionResolve, leadCase, ReasonLeadOnly, "由主办部门办理"},
		{"two roles: neither resolves an unrelated case", multi, cases.ActionResolve, &cases.Case{LeadDept: "tuiyi"}, ReasonNotYourDept, "不在您所在部门的办理范围内"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Can(tc.m, tc.action, tc.c)
			var ref *Refusal
			switch {
			case tc.reason == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.reason == "":
				return
			case !errors.As(err, &ref):
				t.Fatalf("got %v, want a *Refusal", err)
			}
			if ref.Reason != tc.reason || ref.Action != tc.action {
				t.Errorf("refused %s for %s, want %s for %s", ref.Action, ref.Reason, tc.action, tc.reason)
			}
			if text := ref.Text(); !strings.Contains(text, tc.text) || strings.Contains(text, "\n") || strings.Contains(text, "%!") {
				t.Errorf("staff read %q, want one line containing %q", text, tc.text)
			}
		})
	}
}

func TestVisible(t *testing.T) {
	bureau := &Member{ID: "b", Roles: []Role{RoleSupervisor}}
	for _, tc := range []struct {
		name string
		m    *Member
		c    *cases.Case
		want bool
	}{
		{"handler, lead department", handler, leadCase, true},
		{"handler, co-handling department", handler, coCase, true},
		{"handler, other department", handler, otherCase, false},
		{"window staff, any case", windowStaff, otherCase, true},
		{"department supervisor, own department", supervisor, leadCase, true},
		{"department supervisor, other department", supervisor, otherCase, false},
		{"bureau-wide supervisor", bureau, coCase, true},
		{"not in the directory", nil, leadCase, false},
		{"no case", handler, nil, false},
		{"handler, unassigned case", handler, &cases.Case{Number: "BC2611280004"}, false},
	} {
		if got := Visible(tc.m, tc.c); got != tc.want {
			t.Errorf("%s: Visible = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBureauWideSupervisor(t *testing.T) {
	bureau := &Member{ID: "b", Roles: []Role{RoleSupervisor}}
	for a, row := range matrix {
		if row.supervisor == never {
			continue
		}
		if err := Can(bureau, a, otherCase); err != nil {
			t.Errorf("bureau-wide supervisor refused %s on another department's case: %v", a, err)
		}
	}
}
