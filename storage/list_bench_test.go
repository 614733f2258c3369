package storage_test

import (
	"context"
	"fmt"
	"testing"

	"banchengshi/cases"
	"banchengshi/storage"
)

// BenchmarkListCases measures the case list's first page (51 cases) over 500
// cases, read from sealed rows and from rows as they were stored before names
// and free text were sealed (plaintext): the difference is what opening costs.
//
//	go test ./storage/ -run '^$' -bench ListCases -count 6 | benchstat -col /rows -
func BenchmarkListCases(b *testing.B) {
	for _, be := range backends {
		for _, rows := range []string{"sealed", "plaintext"} {
			b.Run(be.name+"/rows="+rows, func(b *testing.B) {
				db := be.open(b)
				ctx := context.Background()
				var c *cases.Case
				for i := range 500 {
					c = mustCreate(b, db, newCase(fmt.Sprintf("BC261128%04d", i+1), func(c *cases.Case) {
						c.Description = "我的身份证号是" + typedID + "，电话" + typedPhone +
							"。养老保险关系转移接续遇到困难，多次往返仍未办成，窗口说系统里查不到记录。"
						c.Resolution = "已为您接续，请留意社保短信"
					}))
				}
				if rows == "plaintext" {
					_, err := storage.RawDB(db).ExecContext(ctx, "UPDATE cases SET reporter_name = ?, affected_name = ?, relation = ?,"+
						" tried_window = ?, tried_when = ?, tried_answer = ?, description = ?, resolution = ?",
						c.ReporterName, c.Affected.Name, c.Relation, c.TriedWindow, c.TriedWhen, c.TriedAnswer, c.Description, c.Resolution)
					if err != nil {
						b.Fatal(err)
					}
				}
				for b.Loop() {
					list, err := db.ListCases(ctx, cases.Filter{Limit: 51})
					if err != nil || len(list) != 51 || list[0].Description != c.Description {
						b.Fatalf("ListCases = %d cases, %v", len(list), err)
					}
				}
			})
		}
	}
}
