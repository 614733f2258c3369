package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/storage"
)

// What a citizen typed into free text and what staff were sent: an ID and a
// phone number that are in no ID or phone field.
const (
	typedID    = "110105198001011234"
	typedPhone = "13700001111"
)

func TestPersonalDataSealed(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		c := mustCreate(t, db, newCase("BC2611280001", func(c *cases.Case) {
			c.Description = "养老保险转不过来。我的身份证号 " + typedID + "，电话 " + typedPhone + "，跑了两年了"
			c.Resolution = "已为您接续，请留意社保短信"
		}))
		const body = "<xml><Content>我的身份证号 11010519610715123X</Content></xml>"
		if _, err := db.SaveInbound(ctx, &cases.Inbound{Key: "k1", Kind: cases.InboundKf, Body: body}); err != nil {
			t.Fatal(err)
		}
		const raw = `{"msgid":"m1","text":{"content":"电话13812345678"}}`
		if _, err := db.InsertKfMessage(ctx, &cases.KfMessage{MsgID: "m1", Raw: raw}); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveSession(ctx, "wkAAA:wmReporter", []byte(`{"phone":"13812345678"}`)); err != nil {
			t.Fatal(err)
		}
		ev := &cases.Event{CaseID: c.ID, At: at, Actor: "citizen:wmReporter", Kind: cases.EventMessageIn,
			Body: "补充一下，我身份证是" + typedID, Data: `{"phone":"` + typedPhone + `"}`}
		if err := db.AppendEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		task := &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelApp, Recipient: "zhangsan", CreatedAt: at,
			Status: cases.OutboxPhoneTask, Message: cases.Message{
				Text: "联系不上群众，请致电王大爷 " + typedPhone + " 告知办理结果",
				Card: &cases.Card{TaskID: "t1", Title: "电话任务", Desc: "王大爷",
					Fields: []cases.CardField{{Key: "联系电话", Value: "13987654321"}}},
			}}
		if err := db.Enqueue(ctx, task); err != nil {
			t.Fatal(err)
		}
		att := &cases.Attachment{CaseID: c.ID, Kind: "image", MediaID: "media1",
			FileName: "王大爷身份证_" + typedID + ".jpg", ContentType: "image/jpeg", Data: []byte("jpeg"), CreatedAt: at}
		if err := db.AddAttachment(ctx, att); err != nil {
			t.Fatal(err)
		}
		draft := &cases.Attachment{Kind: "file", FileName: "李阿姨户口本_" + typedPhone + ".pdf", ContentType: "application/pdf",
			Data: []byte("pdf"), Size: 3, CreatedAt: micro(at)}
		draftID, err := db.SaveDraftMedia(ctx, "wkAAA:wmReporter", draft)
		if err != nil {
			t.Fatal(err)
		}

		// Every column of each row, as a database dump shows it.
		rows := []struct {
			name, query string
			arg         any
			secrets     []string
		}{
			{"case", "SELECT * FROM cases WHERE id = ?", c.ID, []string{
				"11010519610715123X", "13812345678", "13987654321", typedID, typedPhone,
				"李阿姨", "王大爷", "邻居", "3号窗口", "去年6月", "系统里查不到", "跑了两年", "留意社保短信"}},
			{"inbound", "SELECT * FROM inbound WHERE dedupe_key = ?", "k1", []string{"11010519610715123X", "<Content>"}},
			{"kf message", "SELECT * FROM kf_messages WHERE msgid = ?", "m1", []string{"13812345678", `"msgid"`}},
			{"session", "SELECT * FROM sessions WHERE skey = ?", "wkAAA:wmReporter", []string{"13812345678", `"phone"`}},
			{"event", "SELECT * FROM events WHERE id = ?", ev.ID, []string{typedID, typedPhone, "身份证", `"phone"`}},
			{"outbox", "SELECT * FROM outbox WHERE id = ?", task.ID, []string{typedPhone, "13987654321", "王大爷", "电话任务", `"text"`}},
			{"attachment", "SELECT * FROM attachments WHERE id = ?", att.ID, []string{typedID, "王大爷", ".jpg"}},
			{"draft file", "SELECT * FROM draft_media WHERE id = ?", draftID, []string{typedPhone, "李阿姨", ".pdf"}},
		}
		for _, r := range rows {
			cols := rawRow(t, db, r.query, r.arg)
			for name, v := range cols {
				for _, secret := range r.secrets {
					if containsFold(v, secret) {
						t.Errorf("%s: %q stored in plaintext in column %s", r.name, secret, name)
					}
				}
			}
		}

		// Reading returns plaintext.
		got, err := db.GetCaseByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("opened case (-want +got):\n%s", diff)
		}
		in, err := db.PendingInbound(ctx, 10)
		if err != nil || len(in) != 1 || in[0].Body != body {
			t.Errorf("PendingInbound = %v, %v; want the body back", in, err)
		}
		kf, err := db.PendingKfMessages(ctx, 10)
		if err != nil || len(kf) != 1 || kf[0].Raw != raw {
			t.Errorf("PendingKfMessages = %v, %v; want the raw message back", kf, err)
		}
		sess, err := db.LoadSession(ctx, "wkAAA:wmReporter")
		if err != nil || string(sess) != `{"phone":"13812345678"}` {
			t.Errorf("LoadSession = %q, %v", sess, err)
		}
		timeline, err := db.Timeline(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]cases.Event{*ev}, timeline); diff != "" {
			t.Errorf("opened timeline (-want +got):\n%s", diff)
		}
		outbox, err := db.CaseOutbox(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*cases.OutboxMessage{task}, outbox); diff != "" {
			t.Errorf("opened outbox (-want +got):\n%s", diff)
		}
		gotAtt, err := db.GetAttachment(ctx, att.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(att, gotAtt); diff != "" {
			t.Errorf("opened attachment (-want +got):\n%s", diff)
		}
		gotDraft, err := db.DraftMedia(ctx, draftID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(draft, gotDraft); diff != "" {
			t.Errorf("opened draft file (-want +got):\n%s", diff)
		}
	})
}

// TestLegacyPlaintextReads reads rows written before names and free text were
// sealed: their plaintext comes back as it is. ID and phone columns, sealed
// from the start, and damaged sealed values are refused instead of shown.
func TestLegacyPlaintextReads(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		raw := storage.RawDB(db)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := raw.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		c := mustCreate(t, db, newCase("BC2611280001", func(c *cases.Case) { c.Resolution = "已办结" }))
		exec("UPDATE cases SET reporter_name = ?, affected_name = ?, relation = ?, tried_window = ?, tried_when = ?,"+
			" tried_answer = ?, description = ?, resolution = ? WHERE id = ?",
			c.ReporterName, c.Affected.Name, c.Relation, c.TriedWindow, c.TriedWhen, c.TriedAnswer, c.Description, c.Resolution, c.ID)
		ev := &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventMessageOut, Body: "您的问题已受理", Data: `{"n":1}`}
		if err := db.AppendEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		exec("UPDATE events SET body = ?, data = ? WHERE id = ?", ev.Body, ev.Data, ev.ID)
		msg := &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelKf, OpenKfID: "wkAAA", Recipient: "wmReporter",
			Message: cases.Message{Text: "您的问题已受理"}, CreatedAt: at}
		if err := db.Enqueue(ctx, msg); err != nil {
			t.Fatal(err)
		}
		exec("UPDATE outbox SET message = ? WHERE id = ?", `{"text":"您的问题已受理"}`, msg.ID)
		// A legacy file name that happens to start like a sealed value.
		att := &cases.Attachment{CaseID: c.ID, Kind: "file", FileName: "v1:材料.pdf", Data: []byte("pdf"), CreatedAt: at}
		if err := db.AddAttachment(ctx, att); err != nil {
			t.Fatal(err)
		}
		exec("UPDATE attachments SET file_name = ? WHERE id = ?", att.FileName, att.ID)
		draft := &cases.Attachment{Kind: "voice", FileName: "1.amr", Data: []byte("amr"), Size: 3, CreatedAt: at}
		draftID, err := db.SaveDraftMedia(ctx, "wkAAA:wmReporter", draft)
		if err != nil {
			t.Fatal(err)
		}
		exec("UPDATE draft_media SET file_name = ? WHERE id = ?", draft.FileName, draftID)

		got, err := db.GetCaseByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("legacy case (-want +got):\n%s", diff)
		}
		if timeline, err := db.Timeline(ctx, c.ID); err != nil || !cmp.Equal([]cases.Event{*ev}, timeline) {
			t.Errorf("legacy timeline = %+v, %v; want %+v", timeline, err, *ev)
		}
		if outbox, err := db.CaseOutbox(ctx, c.ID); err != nil || len(outbox) != 1 || !cmp.Equal(msg, outbox[0]) {
			t.Errorf("legacy outbox = %v, %v; want %+v", outbox, err, msg)
		}
		if list, err := db.Attachments(ctx, c.ID); err != nil || len(list) != 1 || list[0].FileName != att.FileName {
			t.Errorf("legacy attachments = %+v, %v; want file name %q", list, err, att.FileName)
		}
		if got, err := db.DraftMedia(ctx, draftID); err != nil || got.FileName != draft.FileName {
			t.Errorf("legacy draft file = %+v, %v; want file name %q", got, err, draft.FileName)
		}
		// Once saved again, the case is sealed.
		got.Description += "（补充）"
		if err := db.UpdateCase(ctx, got); err != nil {
			t.Fatal(err)
		}
		if v := rawRow(t, db, "SELECT description FROM cases WHERE id = ?", c.ID)["description"]; !strings.HasPrefix(v, "v2:") {
			t.Errorf("description saved again = %q, want it sealed", v)
		}

		refused := []struct{ name, query string }{
			{"plaintext id number", "UPDATE cases SET affected_id_number = '11010519610715123X' WHERE id = ?"},
			{"damaged description", "UPDATE cases SET affected_id_number = '', description = 'v1:AAAAAAAA' WHERE id = ?"},
		}
		for _, r := range refused {
			exec(r.query, c.ID)
			if _, err := db.GetCaseByID(ctx, c.ID); !errors.Is(err, pii.ErrOpen) {
				t.Errorf("%s: GetCaseByID error = %v, want pii.ErrOpen", r.name, err)
			}
		}
	})
}

// TestSealedValuesFit stores the longest plaintext the columns took before
// they were sealed (MySQL VARCHAR(n) counts characters), in Chinese, whose
// sealed form is about four times as long.
func TestSealedValuesFit(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		long := func(n int) string { return strings.Repeat("办", n) }
		c := mustCreate(t, db, newCase("BC2611280001", func(c *cases.Case) {
			c.ReporterName, c.Affected.Name, c.Relation = long(255), long(255), long(64)
			c.TriedWindow, c.TriedWhen, c.TriedAnswer = long(1024), long(255), long(65535/3)
		}))
		got, err := db.GetCaseByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("long case (-want +got):\n%s", diff)
		}
		att := &cases.Attachment{CaseID: c.ID, Kind: "file", FileName: long(255), Data: []byte("x"), CreatedAt: at}
		if err := db.AddAttachment(ctx, att); err != nil {
			t.Fatal(err)
		}
		if got, err := db.GetAttachment(ctx, att.ID); err != nil || got.FileName != att.FileName {
			t.Errorf("long attachment file name did not come back: %v", err)
		}
		id, err := db.SaveDraftMedia(ctx, "wkAAA:wmReporter", &cases.Attachment{Kind: "file", FileName: long(255), Data: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := db.DraftMedia(ctx, id); err != nil || got.FileName != long(255) {
			t.Errorf("long draft file name did not come back: %v", err)
		}
	})
}

// rawRow returns every column of the one row q selects as text, by name.
func rawRow(t *testing.T, db *storage.SQL, q string, args ...any) map[string]string {
	t.Helper()
	rows, err := storage.RawDB(db).QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("%s: no row (%v)", q, rows.Err())
	}
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out := make(map[string]string, len(names))
	for i, name := range names {
		switch v := vals[i].(type) {
		case nil:
		case []byte:
			out[name] = string(v)
		case time.Time:
			out[name] = v.String()
		default:
			out[name] = fmt.Sprint(v)
		}
	}
	return out
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
