// Package staff is the staff side's pure logic: the directory of departments,
// staff and categories; who may do what to a case; the commands staff type to
// the self-built app; and the cards and texts they receive. It does no I/O
// beyond reading the directory file: desk and app wire it to WeCom and
// storage.
package staff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"banchengshi/cases"
)

// Role is what a staff member does for the window.
type Role string

// Roles. A member may hold several; permissions are the union.
const (
	RoleWindow     Role = "window"     // 窗口值班: receives new cases, accepts and assigns
	RoleHandler    Role = "handler"    // 经办人: works cases of their departments
	RoleSupervisor Role = "supervisor" // 督办: oversees; may do everything on every case
)

func (r Role) valid() bool {
	switch r {
	case RoleWindow, RoleHandler, RoleSupervisor:
		return true
	}
	return false
}

// Department is a unit cases are assigned to. A department with OpenKfIDs is a
// reflection window: citizens writing to those 微信客服 accounts reach it.
type Department struct {
	ID        string   `yaml:"id"`
	Name      string   `yaml:"name"`
	Aliases   []string `yaml:"aliases"`
	County    bool     `yaml:"county"`
	OpenKfIDs []string `yaml:"open_kfids"`
}

// Member is a staff member as the directory knows them. ID is the WeCom user id.
// A supervisor without departments supervises the whole bureau.
type Member struct {
	ID    string   `yaml:"id"`
	Name  string   `yaml:"name"`
	Depts []string `yaml:"departments"`
	Roles []Role   `yaml:"roles"`
}

// Has reports whether m holds role r.
func (m *Member) Has(r Role) bool { return m != nil && slices.Contains(m.Roles, r) }

// InDept reports whether m belongs to department id.
func (m *Member) InDept(id string) bool { return m != nil && id != "" && slices.Contains(m.Depts, id) }

// BureauWide reports whether m is a supervisor of the whole bureau.
func (m *Member) BureauWide() bool { return m.Has(RoleSupervisor) && len(m.Depts) == 0 }

// file is the YAML layout of a directory file.
type file struct {
	DefaultOpenKfID string           `yaml:"default_open_kfid"`
	Departments     []Department     `yaml:"departments"`
	Staff           []Member         `yaml:"staff"`
	Categories      []cases.Category `yaml:"categories"`
}

// Directory is one validated version of the directory file. It is immutable
// once parsed and safe for concurrent use; callers must not modify what its
// lookups return.
type Directory struct {
	defaultKf  string
	depts      []*Department
	deptByID   map[string]*Department
	deptByKey  map[string]*Department // normalised id, name and aliases
	deptByKf   map[string]*Department
	members    []*Member
	memberByID map[string]*Member
	categories []cases.Category
	catByKey   map[string]int
}

// ValidationError lists every problem found in a directory file. Problems name
// departments and categories by id and staff by their position in the file, so
// the error can be logged without personal data.
type ValidationError struct {
	Problems []string
}

// Error lists the problems on one line.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("directory: %d problem(s): %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

// LoadDirectory reads and parses the directory file at path.
func LoadDirectory(path string) (*Directory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	d, err := ParseDirectory(data)
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w", path, err)
	}
	return d, nil
}

// ParseDirectory parses and validates a directory in YAML. Unknown fields are
// errors (a misspelt "roles" must not silently drop a role). Validation
// problems come back together as a *ValidationError.
func ParseDirectory(data []byte) (*Directory, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ValidationError{Problems: []string{"the file is empty"}}
		}
		// yaml.v3 quotes offending values in backticks; drop them, since the
		// error is logged and a value may be a staff member's name.
		return nil, fmt.Errorf("decode directory: %s", quotedValue.ReplaceAllString(err.Error(), "`…`"))
	}
	return build(&f)
}

// quotedValue matches a value yaml.v3 quotes in an error message.
var quotedValue = regexp.MustCompile("`[^`]*`")

// build validates f and indexes it. Each part of the file is checked in
// turn and every problem is kept, so one error lists them all, in file order.
func build(f *file) (*Directory, error) {
	d := &Directory{
		deptByID:   map[string]*Department{},
		deptByKey:  map[string]*Department{},
		deptByKf:   map[string]*Department{},
		memberByID: map[string]*Member{},
		catByKey:   map[string]int{},
	}
	var bad problems
	d.addDepartments(f.Departments, &bad)
	d.chooseDefaultWindow(f.DefaultOpenKfID, &bad)
	d.addStaff(f.Staff, &bad)
	d.checkWindowsStaffed(&bad)
	d.addCategories(f.Categories, &bad)
	if len(bad) > 0 {
		return nil, &ValidationError{Problems: bad}
	}
	return d, nil
}

// problems collects what is wrong with a directory file.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// addDepartments checks each department and indexes it by id, by the names
// staff may type for it, and by the 微信客服 accounts it is the window of.
func (d *Directory) addDepartments(deps []Department, bad *problems) {
	if len(deps) == 0 {
		bad.add("no departments")
	}
	for i := range deps {
		dep := &deps[i]
		dep.ID = strings.TrimSpace(dep.ID)
		dep.Name = strings.TrimSpace(dep.Name)
		where := fmt.Sprintf("department #%d", i+1)
		if dep.ID != "" {
			where = fmt.Sprintf("department %q", dep.ID)
		}
		if dep.Name == "" {
			bad.add("%s: no name", where)
		}
		switch {
		case dep.ID == "":
			bad.add("%s: no id", where)
			continue
		case d.deptByID[dep.ID] != nil:
			bad.add("%s: duplicate id", where)
			continue
		}
		d.deptByID[dep.ID] = dep
		d.depts = append(d.depts, dep)
		d.indexDeptNames(dep, where, bad)
		d.indexWindows(dep, where, bad)
	}
	if len(d.deptByKf) == 0 && len(deps) > 0 {
		bad.add("no department has an open_kfid: citizens could not reach any window")
	}
}

// indexDeptNames makes dep findable by its id, name and aliases; two
// departments may not answer to the same name.
func (d *Directory) indexDeptNames(dep *Department, where string, bad *problems) {
	for _, name := range append([]string{dep.ID, dep.Name}, dep.Aliases...) {
		k := normKey(name)
		if k == "" {
			continue
		}
		if other, ok := d.deptByKey[k]; ok && other != dep {
			bad.add("%s: name or alias %q is also used by department %q", where, name, other.ID)
			continue
		}
		d.deptByKey[k] = dep
	}
}

// indexWindows records the 微信客服 accounts dep is the window of; an
// account belongs to one department only.
func (d *Directory) indexWindows(dep *Department, where string, bad *problems) {
	for _, kf := range dep.OpenKfIDs {
		if other, ok := d.deptByKf[kf]; ok && other != dep {
			bad.add("%s: open_kfid %q is also the window of department %q", where, kf, other.ID)
			continue
		}
		d.deptByKf[kf] = dep
	}
}

// chooseDefaultWindow sets the main window: the file's default_open_kfid,
// which must be some department's window, or else the first window listed.
func (d *Directory) chooseDefaultWindow(kf string, bad *problems) {
	if kf != "" && d.deptByKf[kf] == nil {
		bad.add("default_open_kfid %q is not the window of any department", kf)
	}
	d.defaultKf = kf
	if d.defaultKf != "" {
		return
	}
	for _, dep := range d.depts {
		if len(dep.OpenKfIDs) > 0 {
			d.defaultKf = dep.OpenKfIDs[0]
			return
		}
	}
}

// addStaff checks each member (id, name, roles, departments that exist) and
// indexes them by id. Problems name a member by position only: the error is
// logged, and ids and names are personal data.
func (d *Directory) addStaff(staff []Member, bad *problems) {
	for i := range staff {
		m := &staff[i]
		m.ID = strings.TrimSpace(m.ID)
		m.Name = strings.TrimSpace(m.Name)
		where := fmt.Sprintf("staff #%d", i+1) // never the id or name: this may be logged
		switch {
		case m.ID == "":
			bad.add("%s: no id", where)
		case d.memberByID[m.ID] != nil:
			bad.add("%s: duplicate id (same as staff #%d)", where, slices.Index(d.members, d.memberByID[m.ID])+1)
		default:
			d.memberByID[m.ID] = m
		}
		d.members = append(d.members, m)
		if m.Name == "" {
			bad.add("%s: no name", where)
		}
		if len(m.Roles) == 0 {
			bad.add("%s: no roles (window, handler or supervisor)", where)
		}
		for _, r := range m.Roles {
			if !r.valid() {
				bad.add("%s: unknown role %q (want window, handler or supervisor)", where, r)
			}
		}
		for _, dep := range m.Depts {
			if d.deptByID[dep] == nil {
				bad.add("%s: unknown department %q", where, dep)
			}
		}
		if len(m.Depts) == 0 && (m.Has(RoleWindow) || m.Has(RoleHandler)) {
			bad.add("%s: window staff and handlers need a department", where)
		}
	}
}

// checkWindowsStaffed refuses a window nobody is on duty at: a new case
// there would be announced to nobody of its department.
func (d *Directory) checkWindowsStaffed(bad *problems) {
	for _, dep := range d.depts {
		if len(dep.OpenKfIDs) > 0 && len(d.windowStaff(dep.ID)) == 0 {
			bad.add("department %q has a window (open_kfid) but no staff with role window", dep.ID)
		}
	}
}

// addCategories checks each category (key, name, a department that exists, a
// time limit, keywords that can match, names no other category uses) and
// indexes it by key.
func (d *Directory) addCategories(cats []cases.Category, bad *problems) {
	if len(cats) == 0 {
		bad.add("no categories")
	}
	names := map[string]string{} // normalised name or alias → category key
	for i, c := range cats {
		c.Key = strings.TrimSpace(c.Key)
		c.Name = strings.TrimSpace(c.Name)
		where := fmt.Sprintf("category #%d", i+1)
		if c.Key != "" {
			where = fmt.Sprintf("category %q", c.Key)
		}
		switch _, dup := d.catByKey[c.Key]; {
		case c.Key == "":
			bad.add("%s: no key", where)
		case dup:
			bad.add("%s: duplicate key", where)
		default:
			d.catByKey[c.Key] = len(d.categories)
			d.categories = append(d.categories, c)
		}
		if c.Name == "" {
			bad.add("%s: no name", where)
		}
		switch {
		case c.Dept == "":
			bad.add("%s: no default department (dept)", where)
		case d.deptByID[c.Dept] == nil:
			bad.add("%s: unknown department %q", where, c.Dept)
		}
		if c.LimitDays <= 0 {
			bad.add("%s: limit_days must be a positive number of working days", where)
		} else if c.LimitDays > 365 {
			bad.add("%s: limit_days %d is more than a year", where, c.LimitDays)
		}
		checkKeywords(c.Keywords, where, bad)
		claimCategoryNames(names, c, where, bad)
	}
}

// checkKeywords refuses keywords that would misfile stories: empty, a single
// character (it matches almost anything), too long to ever match, or listed
// twice.
func checkKeywords(keywords []string, where string, bad *problems) {
	seen := map[string]bool{}
	for _, kw := range keywords {
		k := normKey(kw)
		switch {
		case k == "":
			bad.add("%s: an empty keyword", where)
		case len([]rune(k)) < 2:
			bad.add("%s: keyword %q is one character: it would match almost any story", where, kw)
		case len([]rune(k)) > 20:
			bad.add("%s: keyword %q is longer than 20 characters", where, kw)
		case seen[k]:
			bad.add("%s: keyword %q is listed twice", where, kw)
		}
		seen[k] = true
	}
}

// claimCategoryNames records c's name and aliases in names; two categories
// may not answer to the same name.
func claimCategoryNames(names map[string]string, c cases.Category, where string, bad *problems) {
	for _, name := range append([]string{c.Name}, c.Aliases...) {
		k := normKey(name)
		if k == "" {
			continue
		}
		if other, ok := names[k]; ok && other != c.Key {
			bad.add("%s: name or alias %q is also used by category %q", where, name, other)
			continue
		}
		names[k] = c.Key
	}
}

// windowStaff returns the window duty staff of one department, in file order.
func (d *Directory) windowStaff(dept string) []*Member {
	var out []*Member
	for _, m := range d.members {
		if m.Has(RoleWindow) && m.InDept(dept) {
			out = append(out, m)
		}
	}
	return out
}

// Member returns the staff member with WeCom user id userID.
func (d *Directory) Member(userID string) (*Member, bool) {
	m, ok := d.memberByID[userID]
	return m, ok
}

// Members returns all staff in file order.
func (d *Directory) Members() []*Member { return slices.Clone(d.members) }

// Departments returns all departments in file order.
func (d *Directory) Departments() []*Department { return slices.Clone(d.depts) }

// Department returns the department with the given id.
func (d *Directory) Department(id string) (*Department, bool) {
	dep, ok := d.deptByID[id]
	return dep, ok
}

// DeptName returns the name of department id, or id itself when unknown (a
// case may name a department removed from the file since).
func (d *Directory) DeptName(id string) string {
	if d == nil {
		return id
	}
	if dep, ok := d.deptByID[id]; ok {
		return dep.Name
	}
	return id
}

// DutyStaff returns the window duty staff of the department whose window the
// 微信客服 account openKfID is. For an account no department claims it returns
// every window staff member, so a new case is never announced to nobody.
func (d *Directory) DutyStaff(openKfID string) []*Member {
	if dep, ok := d.deptByKf[openKfID]; ok {
		if ms := d.windowStaff(dep.ID); len(ms) > 0 {
			return ms
		}
	}
	var out []*Member
	for _, m := range d.members {
		if m.Has(RoleWindow) {
			out = append(out, m)
		}
	}
	return out
}

// WindowDept returns the department whose window the 微信客服 account is.
func (d *Directory) WindowDept(openKfID string) (*Department, bool) {
	dep, ok := d.deptByKf[openKfID]
	return dep, ok
}

// Supervisors returns the supervisors of department dept followed by the
// bureau-wide supervisors, each once.
func (d *Directory) Supervisors(dept string) []*Member {
	var own, wide []*Member
	for _, m := range d.members {
		switch {
		case !m.Has(RoleSupervisor):
		case m.InDept(dept):
			own = append(own, m)
		case m.BureauWide():
			wide = append(wide, m)
		}
	}
	return append(own, wide...)
}

// Handlers returns the handlers of department dept.
func (d *Directory) Handlers(dept string) []*Member {
	var out []*Member
	for _, m := range d.members {
		if m.Has(RoleHandler) && m.InDept(dept) {
			out = append(out, m)
		}
	}
	return out
}

// Categories returns the categories in file order.
func (d *Directory) Categories() []cases.Category { return slices.Clone(d.categories) }

// CategoryByKey returns the category with the given key.
func (d *Directory) CategoryByKey(key string) (cases.Category, bool) {
	i, ok := d.catByKey[key]
	if !ok {
		return cases.Category{}, false
	}
	return d.categories[i], true
}

// CategoryName returns the name of category key, or key itself when unknown.
func (d *Directory) CategoryName(key string) string {
	if d == nil {
		return key
	}
	if c, ok := d.CategoryByKey(key); ok {
		return c.Name
	}
	return key
}

// DefaultOpenKfID returns the main window's 微信客服 account: default_open_kfid,
// or else the first one listed.
func (d *Directory) DefaultOpenKfID() string { return d.defaultKf }

// FindDepartment finds a department by what staff type: its id, name or an
// alias, ignoring spaces, width and case; failing that, the one department
// whose name contains what was typed.
func (d *Directory) FindDepartment(nameOrAlias string) (*Department, bool) {
	dep, err := d.ResolveDepartment(nameOrAlias)
	return dep, err == nil
}

// ResolveDepartment is FindDepartment with a *LookupError saying why nothing
// was found: no name, none found, or several found (listing them).
func (d *Directory) ResolveDepartment(nameOrAlias string) (*Department, error) {
	k := normKey(nameOrAlias)
	if k == "" {
		return nil, &LookupError{Reason: LookupNoDeptName}
	}
	if dep, ok := d.deptByKey[k]; ok {
		return dep, nil
	}
	var found []*Department
	if len([]rune(k)) >= 2 {
		for _, dep := range d.depts {
			if strings.Contains(normKey(dep.Name), k) {
				found = append(found, dep)
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, &LookupError{Reason: LookupNoSuchDept, Typed: strings.TrimSpace(nameOrAlias)}
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, dep := range found {
		names[i] = dep.Name
	}
	return nil, &LookupError{Reason: LookupSeveralDepts, Typed: strings.TrimSpace(nameOrAlias), Matches: names}
}

// normKey folds what a person types into a lookup key: full-width to ASCII,
// lower case, no spaces.
func normKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		r = foldWidth(r)
		if unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// foldWidth maps full-width ASCII variants and the ideographic space to ASCII.
func foldWidth(r rune) rune {
	switch {
	case r == '\u3000':
		return ' '
	case r >= '！' && r <= '～':
		return r - 0xFEE0
	}
	return r
}
