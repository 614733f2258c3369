package desk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// webFixture is a desk over the example directory and a SQLite database with
// one case led by 社保中心 (shebao) and its photo.
type webFixture struct {
	desk *desk.Desk
	db   *storage.SQL
	c    *cases.Case
	att  *cases.Attachment
}

func newWebFixture(t *testing.T) *webFixture {
	t.Helper()
	now := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	d := exampleDesk(t, func() time.Time { return now })
	db := storagetest.SQLite(t)
	ctx := context.Background()
	c := &cases.Case{Number: "BC2611280001", OpenKfID: "wkSANDBOX001", ReporterID: "wmA", Category: "pension",
		Affected: cases.Person{Name: "王大爷", IDNumber: "11010519610715123X", Phone: "13812345678"},
		LeadDept: "shebao", Status: cases.StatusAssigned, Description: "养老金停发", CreatedAt: now}
	if err := db.CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	att := &cases.Attachment{CaseID: c.ID, Kind: "image", FileName: "证明.jpg", ContentType: "image/jpeg", Data: []byte("\xff\xd8\xff photo"), CreatedAt: now}
	if err := db.AddAttachment(ctx, att); err != nil {
		t.Fatal(err)
	}
	return &webFixture{desk: d, db: db, c: c, att: att}
}

func TestOpenCase(t *testing.T) {
	tests := []struct {
		name      string
		user      string
		reveal    bool
		refused   bool
		mayReveal bool
		piiEvents int
		showsPII  bool
	}{
		{name: "handler of the lead department", user: "wangwu", mayReveal: true},
		{name: "handler reveals personal data", user: "wangwu", reveal: true, mayReveal: true, piiEvents: 1, showsPII: true},
		{name: "window staff reveal", user: "zhangsan", reveal: true, mayReveal: true, piiEvents: 1, showsPII: true},
		{name: "bureau supervisor", user: "sunqi", mayReveal: true},
		{name: "handler of another department", user: "zhaoliu", refused: true},
		{name: "handler of another department asks for personal data", user: "zhaoliu", reveal: true, refused: true},
		{name: "not in the directory", user: "stranger", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newWebFixture(t)
			ctx := context.Background()
			var file *desk.CaseFile
			err := f.db.InTx(ctx, func(r cases.Repo) error {
				var err error
				file, err = f.desk.OpenCase(ctx, r, tt.user, f.c.Number, tt.reveal)
				return err
			})
			var ref *desk.Refusal
			if tt.refused {
				if !errors.As(err, &ref) {
					t.Fatalf("OpenCase: %v, want a refusal", err)
				}
			} else {
				if err != nil {
					t.Fatalf("OpenCase: %v", err)
				}
				got := struct {
					MayReveal, Shows bool
					Atts             int
				}{file.MayRevealPII, file.ShowPII, len(file.Attachments)}
				want := struct {
					MayReveal, Shows bool
					Atts             int
				}{tt.mayReveal, tt.showsPII, 1}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("case file (-want +got):\n%s", diff)
				}
			}
			events, err := f.db.Timeline(ctx, f.c.ID)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range events {
				if e.Kind == cases.EventPIIViewed {
					n++
					if e.Actor != cases.StaffActor(tt.user) {
						t.Errorf("pii event actor %q, want staff:%s", e.Actor, tt.user)
					}
				}
			}
			if n != tt.piiEvents {
				t.Errorf("%d personal-data view events, want %d", n, tt.piiEvents)
			}
		})
	}
}

func TestOpenCaseUnknown(t *testing.T) {
	f := newWebFixture(t)
	var ref *desk.Refusal
	if _, err := f.desk.OpenCase(context.Background(), f.db, "sunqi", "BC2611289999", false); !errors.As(err, &ref) {
		t.Fatalf("unknown case: %v, want a refusal", err)
	}
}

func TestOpenAttachment(t *testing.T) {
	tests := []struct {
		user    string
		id      func(f *webFixture) int64
		allowed bool
	}{
		{"wangwu", func(f *webFixture) int64 { return f.att.ID }, true},
		{"sunqi", func(f *webFixture) int64 { return f.att.ID }, true},
		{"zhaoliu", func(f *webFixture) int64 { return f.att.ID }, false},
		{"stranger", func(f *webFixture) int64 { return f.att.ID }, false},
		{"sunqi", func(f *webFixture) int64 { return f.att.ID + 100 }, false},
	}
	for _, tt := range tests {
		f := newWebFixture(t)
		a, err := f.desk.OpenAttachment(context.Background(), f.db, tt.user, tt.id(f))
		var ref *desk.Refusal
		switch {
		case tt.allowed && err != nil:
			t.Errorf("%s: %v", tt.user, err)
		case tt.allowed && string(a.Data) != string(f.att.Data):
			t.Errorf("%s: got %q, want the photo's bytes", tt.user, a.Data)
		case !tt.allowed && !errors.As(err, &ref):
			t.Errorf("%s: %v, want a refusal", tt.user, err)
		}
	}
}
