package storage

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSQLiteDSN(t *testing.T) {
	const defaults = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	tests := []struct {
		name, in, want, file string
	}{
		{"bare path", "data/bcs.db", "data/bcs.db?" + defaults, "data/bcs.db"},
		{"file URI", "file:data/bcs.db", "file:data/bcs.db?" + defaults, "data/bcs.db"},
		{"own settings kept", "file:/var/bcs.db?_pragma=busy_timeout(1)&_txlock=deferred&_pragma=journal_mode(DELETE)",
			"file:/var/bcs.db?_pragma=busy_timeout(1)&_txlock=deferred&_pragma=journal_mode(DELETE)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)",
			"/var/bcs.db"},
		{"memory", ":memory:", ":memory:?" + defaults, ""},
	}
	for _, tt := range tests {
		got, file := sqliteDSN(tt.in)
		if diff := cmp.Diff([2]string{tt.want, tt.file}, [2]string{got, file}); diff != "" {
			t.Errorf("%s: sqliteDSN(%q) (-want +got):\n%s", tt.name, tt.in, diff)
		}
	}
	if got := DefaultSQLiteDSN("data/banchengshi.db"); got != "file:data/banchengshi.db?"+defaults {
		t.Errorf("DefaultSQLiteDSN = %q", got)
	}
}

func TestMySQLDSN(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bare", "root@tcp(127.0.0.1:3306)/bcs", "root@tcp(127.0.0.1:3306)/bcs?charset=utf8mb4&collation=utf8mb4_unicode_ci&interpolateParams=true&parseTime=true"},
		{"own charset and zone kept", "u:p@tcp(db:3306)/bcs?charset=utf8mb4&loc=Asia%2FShanghai",
			"u:p@tcp(db:3306)/bcs?charset=utf8mb4&interpolateParams=true&loc=Asia%2FShanghai&parseTime=true"},
		{"own choice to prepare kept", "u:p@tcp(db:3306)/bcs?interpolateParams=false",
			"u:p@tcp(db:3306)/bcs?charset=utf8mb4&collation=utf8mb4_unicode_ci&parseTime=true"},
		{"no inline values in a charset where escaping is unsafe", "u:p@tcp(db:3306)/bcs?charset=gbk",
			"u:p@tcp(db:3306)/bcs?charset=gbk&parseTime=true"},
		{"nor in such a collation", "u:p@tcp(db:3306)/bcs?charset=utf8mb4&collation=gbk_chinese_ci",
			"u:p@tcp(db:3306)/bcs?charset=utf8mb4&collation=gbk_chinese_ci&parseTime=true"},
	}
	for _, tt := range tests {
		got, err := mysqlDSN(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: mysqlDSN(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
	if _, err := mysqlDSN("not a dsn"); err == nil {
		t.Error("mysqlDSN accepted garbage")
	}
}

func TestSplitStatements(t *testing.T) {
	src := "-- comment; with a semicolon\nCREATE TABLE a (\n\tx INT\n);\n\nCREATE INDEX b ON a (x);\n"
	want := []string{"CREATE TABLE a (\n\tx INT\n)", "CREATE INDEX b ON a (x)"}
	if diff := cmp.Diff(want, splitStatements(src)); diff != "" {
		t.Errorf("splitStatements (-want +got):\n%s", diff)
	}
}
