package staff

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

const examplePath = "../configs/directory.example.yaml"

func loadExample(t *testing.T) *Directory {
	t.Helper()
	d, err := LoadDirectory(examplePath)
	if err != nil {
		t.Fatalf("example directory: %v", err)
	}
	return d
}

func ids(ms []*Member) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func TestExampleDirectoryLookups(t *testing.T) {
	d := loadExample(t)

	if got := d.DefaultOpenKfID(); got != "wkSANDBOX001" {
		t.Errorf("DefaultOpenKfID = %q", got)
	}
	for _, tc := range []struct {
		name string
		got  []string
		want []string
	}{
		{"duty staff of the main window", ids(d.DutyStaff("wkSANDBOX001")), []string{"zhangsan", "lisi", "qianyi"}},
		{"duty staff of an unknown kf account", ids(d.DutyStaff("wkUNKNOWN")), []string{"zhangsan", "lisi", "qianyi"}},
		{"supervisors of 社保中心", ids(d.Supervisors("shebao")), []string{"liufang", "sunqi"}},
		{"supervisors of 档案馆", ids(d.Supervisors("dangan")), []string{"sunqi"}},
		{"supervisors of the county", ids(d.Supervisors("county_a")), []string{"huangqiang", "sunqi"}},
		{"handlers of 社保中心", ids(d.Handlers("shebao")), []string{"wangwu", "heli", "liufang"}},
		{"handlers of 档案馆", ids(d.Handlers("dangan")), []string{"zhaoliu"}},
		{"handlers of the county", ids(d.Handlers("county_a")), []string{"chenming"}},
		{"handlers of an unknown department", ids(d.Handlers("nope")), []string{}},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}

	m, ok := d.Member("wangwu")
	if !ok || m.Name != "王五" || !m.Has(RoleHandler) || !m.InDept("shebao") || m.Has(RoleWindow) {
		t.Errorf("Member(wangwu) = %+v, %v", m, ok)
	}
	if _, ok := d.Member("stranger"); ok {
		t.Error("Member(stranger) found")
	}
	if m, _ := d.Member("sunqi"); !m.BureauWide() {
		t.Error("sunqi should be a bureau-wide supervisor")
	}

	var keys []string
	for _, c := range d.Categories() {
		keys = append(keys, c.Key)
	}
	if diff := cmp.Diff([]string{"pension", "transfer", "retirement", "archive", "personal_data", "payment", "employment", "other"}, keys); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
	c, ok := d.CategoryByKey("archive")
	if diff := cmp.Diff(cases.Category{Key: "archive", Name: "档案", Aliases: []string{"人事档案", "档案丢失"},
		Keywords: []string{"档案丢", "档案找不", "档案转不过来", "档案调", "档案没了", "档案里出生", "原单位丢"}, Dept: "dangan", LimitDays: 15}, c); !ok || diff != "" {
		t.Errorf("CategoryByKey(archive) (-want +got):\n%s", diff)
	}
	if _, ok := d.CategoryByKey("nope"); ok {
		t.Error("CategoryByKey(nope) found")
	}
	if dep, ok := d.Department("county_a"); !ok || !dep.County || dep.Name != "某某县人社局" {
		t.Errorf("Department(county_a) = %+v, %v", dep, ok)
	}
}

func TestFindDepartment(t *testing.T) {
	d := loadExample(t)
	for _, tc := range []struct {
		typed string
		want  string // department id, "" when not found
	}{
		{"社保", "shebao"},
		{"社保中心", "shebao"},
		{" 社保 中心 ", "shebao"},
		{"shebao", "shebao"},
		{"SHEBAO", "shebao"},
		{"档案", "dangan"},
		{"就业服务", "jiuye"}, // part of the full name
		{"退役军人事务局", "tuiyi"},
		{"县人社局", "county_a"},
		{"某某县人社局", "county_a"},
		{"窗口", "window"},
		{"人社局", "county_a"}, // contained in one full name only
		{"中心", ""},          // 社保中心 and 就业服务中心: ambiguous
		{"税务局", ""},
		{"", ""},
	} {
		t.Run(tc.typed, func(t *testing.T) {
			dep, ok := d.FindDepartment(tc.typed)
			got := ""
			if ok {
				got = dep.ID
			}
			if got != tc.want {
				t.Errorf("FindDepartment(%q) = %q, want %q", tc.typed, got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		typed string
		want  *LookupError
	}{
		{"中心", &LookupError{Reason: LookupSeveralDepts, Typed: "中心", Matches: []string{"社保中心", "就业服务中心"}}},
		{" 税务局 ", &LookupError{Reason: LookupNoSuchDept, Typed: "税务局"}},
		{"　", &LookupError{Reason: LookupNoDeptName}},
	} {
		_, err := d.ResolveDepartment(tc.typed)
		if diff := cmp.Diff(tc.want, err); diff != "" {
			t.Errorf("ResolveDepartment(%q) (-want +got):\n%s", tc.typed, diff)
		}
	}
}

func TestParseDirectoryListsEveryProblem(t *testing.T) {
	const bad = `
default_open_kfid: wkNOBODY
departments:
  - id: window
    name: 反映窗口
    open_kfids: [wk1]
  - id: window
    name: 重复的窗口
  - id: shebao
    name: 社保中心
    aliases: [反映窗口]
    open_kfids: [wk1, wk2]
  - name: 没有编号
staff:
  - id: zhangsan
    name: 张三
    departments: [shebao]
    roles: [window]
  - id: zhangsan
    name: 张三丰
    departments: [nowhere]
    roles: [handler, boss]
  - id: lisi
    name: 李四
    roles: []
  - id: wangwu
    name: ""
    roles: [handler]
categories:
  - key: pension
    name: 养老保险
    dept: shebao
    limit_days: 15
  - key: pension
    name: 养老
    dept: shebao
    limit_days: 5
  - key: archive
    name: 档案
    limit_days: 0
  - key: job
    name: 就业
    aliases: [养老保险]
    keywords: [失业, 失业, 失]
    dept: jiuye
    limit_days: 400
`
	_, err := ParseDirectory([]byte(bad))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	want := []string{
		`department "window": duplicate id`,
		`department "shebao": name or alias "反映窗口" is also used by department "window"`,
		`department "shebao": open_kfid "wk1" is also the window of department "window"`,
		`department #4: no id`,
		`default_open_kfid "wkNOBODY" is not the window of any department`,
		`staff #2: duplicate id (same as staff #1)`,
		`staff #2: unknown role "boss" (want window, handler or supervisor)`,
		`staff #2: unknown department "nowhere"`,
		`staff #3: no roles (window, handler or supervisor)`,
		`staff #4: no name`,
		`staff #4: window staff and handlers need a department`,
		`department "window" has a window (open_kfid) but no staff with role window`,
		`category "pension": duplicate key`,
		`category "archive": no default department (dept)`,
		`category "archive": limit_days must be a positive number of working days`,
		`category "job": unknown department "jiuye"`,
		`category "job": limit_days 400 is more than a year`,
		`category "job": keyword "失业" is listed twice`,
		`category "job": keyword "失" is one character: it would match almost any story`,
		`category "job": name or alias "养老保险" is also used by category "pension"`,
	}
	if diff := cmp.Diff(want, ve.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, personal := range []string{"zhangsan", "张三", "lisi", "李四", "wangwu"} {
		if strings.Contains(err.Error(), personal) {
			t.Errorf("validation error names a person (%q): %v", personal, err)
		}
	}
}

func TestParseDirectoryRejects(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"empty file", "", "the file is empty"},
		{"misspelt field", "departments:\n  - id: a\n    name: A\n    rolse: [x]\n", "field rolse not found"},
		{"no departments, staff or categories", "staff: []\n", "no departments; no categories"},
		{"no window at all", "departments:\n  - id: a\n    name: A\ncategories:\n  - {key: k, name: K, dept: a, limit_days: 3}\n", "no department has an open_kfid"},
		{"wrong type hides the value", "staff:\n  - id: zhangsan\n    name: 张三\n    roles: 张三丰\n", "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDirectory([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "张三丰") {
				t.Errorf("decode error shows a value: %v", err)
			}
		})
	}
}

func TestDefaultOpenKfIDFallsBackToFirstWindow(t *testing.T) {
	d, err := ParseDirectory([]byte(`
departments:
  - {id: a, name: A}
  - {id: w, name: W, open_kfids: [wkW1, wkW2]}
staff:
  - {id: u1, name: U, departments: [w], roles: [window]}
categories:
  - {key: k, name: K, dept: a, limit_days: 3}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.DefaultOpenKfID(); got != "wkW1" {
		t.Errorf("DefaultOpenKfID = %q, want wkW1", got)
	}
}
