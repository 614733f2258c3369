package storage_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// reopenable is a database of one dialect that can be opened again with
// other keys.
type reopenable struct {
	name, driver string
	dsn          func(t *testing.T) string
}

var reopenables = []reopenable{
	{"sqlite", storage.DriverSQLite, func(t *testing.T) string {
		return storage.DefaultSQLiteDSN(filepath.Join(t.TempDir(), "db", "test.db"))
	}},
	{"mysql", storage.DriverMySQL, func(t *testing.T) string { return storagetest.MySQLDSN(t) }},
}

func newKey(t *testing.T) []byte {
	t.Helper()
	k, err := pii.ParseKey(pii.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sealerOf(t *testing.T, primary []byte, previous ...[]byte) *pii.Sealer {
	t.Helper()
	s, err := pii.NewSealer(primary, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rotation is a database shared by the replicas of one deployment, and the
// two keys of a rotation: the old one in use before it, the new one it moves
// to.
type rotation struct {
	driver, dsn string
	old, new    []byte
}

// newRotation is a fresh database of b and two fresh keys.
func newRotation(t *testing.T, b reopenable) rotation {
	t.Helper()
	return rotation{old: newKey(t), new: newKey(t)}.fresh(t, b)
}

// fresh is the same keys on a fresh database of b.
func (r rotation) fresh(t *testing.T, b reopenable) rotation {
	t.Helper()
	r.driver, r.dsn = b.driver, b.dsn(t)
	return r
}

// open opens the database as a replica configured with the keys given (the
// first seals, the others only open), closed when the test ends.
func (r rotation) open(t *testing.T, primary []byte, previous ...[]byte) (*storage.SQL, error) {
	t.Helper()
	db, err := storage.Open(context.Background(), r.driver, r.dsn, sealerOf(t, primary, previous...))
	if err == nil {
		t.Cleanup(func() { db.Close() })
	}
	return db, err
}

// replica is open for a replica that must start.
func (r rotation) replica(t *testing.T, primary []byte, previous ...[]byte) *storage.SQL {
	t.Helper()
	db, err := r.open(t, primary, previous...)
	if err != nil {
		t.Fatalf("open a replica: %v", err)
	}
	return db
}

// sealV1 seals as storage did before associated data and key ids.
func sealV1(t *testing.T, key []byte, plain string) string {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	return "v1:" + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plain), nil))
}

// stored is everything personal a database holds, as the product reads it.
type stored struct {
	Case        *cases.Case
	Found       int // cases found by the contact phone
	Timeline    []cases.Event
	Attachment  *cases.Attachment
	Draft       *cases.Attachment
	Outbox      []*cases.OutboxMessage
	Inbound     []*cases.Inbound
	KfMessages  []*cases.KfMessage
	Session     string
	DraftID     int64
	Attachments int
	SMS         []*cases.SMSMessage
}

func readAll(t *testing.T, db *storage.SQL, number string, draftID int64) stored {
	t.Helper()
	ctx := context.Background()
	var s stored
	var err error
	if s.Case, err = db.GetCase(ctx, number); err != nil {
		t.Fatalf("read case: %v", err)
	}
	found, err := db.ListCases(ctx, cases.Filter{Phone: s.Case.ContactPhone})
	if err != nil {
		t.Fatalf("find case by phone: %v", err)
	}
	s.Found = len(found)
	if s.Timeline, err = db.Timeline(ctx, s.Case.ID); err != nil {
		t.Fatalf("read timeline: %v", err)
	}
	list, err := db.Attachments(ctx, s.Case.ID)
	if err != nil || len(list) == 0 {
		t.Fatalf("list attachments: %d, %v", len(list), err)
	}
	s.Attachments = len(list)
	if s.Attachment, err = db.GetAttachment(ctx, list[0].ID); err != nil {
		t.Fatalf("read attachment: %v", err)
	}
	if s.Draft, err = db.DraftMedia(ctx, draftID); err != nil {
		t.Fatalf("read draft file: %v", err)
	}
	if s.Outbox, err = db.CaseOutbox(ctx, s.Case.ID); err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	if s.Inbound, err = db.PendingInbound(ctx, 10); err != nil {
		t.Fatalf("read inbound: %v", err)
	}
	if s.KfMessages, err = db.PendingKfMessages(ctx, 10); err != nil {
		t.Fatalf("read kf messages: %v", err)
	}
	data, err := db.LoadSession(ctx, "wkAAA:wmReporter")
	if err != nil {
		t.Fatalf("read session: %v", err)
	}
	s.Session = string(data)
	if s.SMS, err = db.CaseSMS(ctx, s.Case.ID); err != nil || len(s.SMS) != 1 {
		t.Fatalf("read sms: %d, %v", len(s.SMS), err)
	}
	return s
}

// fill stores one of everything sealed, with the forms older versions left:
// a v1 session and kf message, a plaintext description, a file in clear, an
// event and an outbox message sealed to their id (before seal_ref) beside
// ones sealed to their reference.
func fill(t *testing.T, db *storage.SQL, oldKey []byte) (number string, draftID int64) {
	t.Helper()
	ctx := context.Background()
	c := mustCreate(t, db, newCase("BC2611280001", nil))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.AppendEvent(ctx, &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventMessageIn, Body: "我身份证是" + typedID, Data: `{"a":1}`}))
	must(db.AppendEvent(ctx, &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventMessageOut, Body: "已收到"}))
	att := &cases.Attachment{CaseID: c.ID, Kind: "image", FileName: "身份证.jpg", ContentType: "image/jpeg", Data: []byte("\xff\xd8 id card"), CreatedAt: at}
	must(db.AddAttachment(ctx, att))
	legacy := &cases.Attachment{CaseID: c.ID, Kind: "voice", FileName: "1.amr", Data: []byte("#!AMR voice"), CreatedAt: at}
	must(db.AddAttachment(ctx, legacy))
	var err error
	draftID, err = db.SaveDraftMedia(ctx, "wkAAA:wmReporter", &cases.Attachment{Kind: "file", FileName: "户口本.pdf", Data: []byte("%PDF"), CreatedAt: at})
	must(err)
	must(db.Enqueue(ctx, &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelKf, OpenKfID: "wkAAA", Recipient: "wmReporter",
		Message: cases.Message{Text: "您的问题已受理，电话 " + typedPhone}, CreatedAt: at}))
	byID := &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelApp, Recipient: "zhangsan",
		Message: cases.Message{Text: "请致电 " + typedPhone}, CreatedAt: at}
	must(db.Enqueue(ctx, byID))
	byIDEvent := &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventNote, Body: "电话 " + typedPhone, Data: `{"b":2}`}
	must(db.AppendEvent(ctx, byIDEvent))
	_, err = db.SaveInbound(ctx, &cases.Inbound{Key: "k1", Kind: cases.InboundKf, Body: "<xml>1</xml>", ReceivedAt: at})
	must(err)
	_, err = db.InsertKfMessage(ctx, &cases.KfMessage{MsgID: "m1", OpenKfID: "wkAAA", ExternalUserID: "wmReporter", Raw: `{"msgid":"m1"}`, ReceivedAt: at, SendTime: at})
	must(err)
	must(db.SaveSession(ctx, "wkAAA:wmReporter", []byte(`{"phone":"13812345678"}`)))
	must(db.EnqueueSMS(ctx, &cases.SMSMessage{EventKey: "answer:1:1", CaseID: c.ID, Urgent: cases.UrgentAnswer,
		Params: []string{c.Number, "已办结。答复：已恢复发放"}, CreatedAt: at}))

	raw := db.DB()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("UPDATE sessions SET data = ? WHERE skey = ?", sealV1(t, oldKey, `{"phone":"13812345678"}`), "wkAAA:wmReporter")
	exec("UPDATE kf_messages SET raw = ? WHERE msgid = ?", sealV1(t, oldKey, `{"msgid":"m1"}`), "m1")
	exec("UPDATE cases SET description = ? WHERE id = ?", c.Description, c.ID)
	exec("UPDATE attachments SET file_name = ?, data = ?, data_sealed = 0 WHERE id = ?", legacy.FileName, legacy.Data, legacy.ID)
	legacyRow(t, db, sealerOf(t, oldKey), "outbox", byID.ID, map[string]string{"message": `{"text":"请致电 ` + typedPhone + `"}`})
	legacyRow(t, db, sealerOf(t, oldKey), "events", byIDEvent.ID, map[string]string{"body": byIDEvent.Body, "data": byIDEvent.Data})
	return c.Number, draftID
}

// TestRekey rotates the data key while the product writes: interrupted and
// run again, every row readable at every step with both keys configured,
// and at the end everything sealed with the new key alone, the old key
// retired, and a process with only the old key refused.
func TestRekey(t *testing.T) {
	for _, b := range reopenables {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rot := newRotation(t, b)
			oldKey, newKey := rot.old, rot.new
			old := rot.replica(t, oldKey)
			number, draftID := fill(t, old, oldKey)
			want := readAll(t, old, number, draftID)
			if want.Found != 1 {
				t.Fatalf("the case is found %d times by its phone", want.Found)
			}

			// The replicas restart with the new key, the old one as previous.
			db := rot.replica(t, newKey, oldKey)
			if diff := cmp.Diff(want, readAll(t, db, number, draftID)); diff != "" {
				t.Fatalf("read with both keys before the rotation (-want +got):\n%s", diff)
			}

			// Interrupted after a few batches; meanwhile the product writes.
			stop, cancel := context.WithCancel(ctx)
			batches := 0
			_, err := db.Rekey(stop, 1, func(storage.RekeyReport) {
				if batches++; batches == 3 {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted rekey: %v, want context.Canceled", err)
			}
			if diff := cmp.Diff(want, readAll(t, db, number, draftID)); diff != "" {
				t.Fatalf("read with both keys midway (-want +got):\n%s", diff)
			}
			ev := &cases.Event{CaseID: want.Case.ID, At: at, Actor: "bot", Kind: cases.EventNote, Body: "轮换中写入"}
			if err := db.AppendEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
			want.Timeline = append(want.Timeline, *ev)

			res, err := db.Rekey(ctx, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Tables[0].Table != "cases" || res.Tables[0].Rows != 0 {
				t.Errorf("the second run walked cases again (%+v); want it to continue where the first stopped", res.Tables[0])
			}
			if res.Left != 0 || len(res.Retired) != 1 || res.Retired[0] != sealerOf(t, oldKey).KeyID() {
				t.Errorf("rekey result: left %d, retired %v; want nothing left and the old key retired", res.Left, res.Retired)
			}

			// Every sealed value now starts with the new key's prefix.
			prefix := sealerOf(t, newKey).TextPrefix()
			for _, q := range []string{
				"SELECT description FROM cases", "SELECT affected_id_number FROM cases", "SELECT body FROM events",
				"SELECT data FROM sessions", "SELECT raw FROM kf_messages", "SELECT body FROM inbound",
				"SELECT message FROM outbox", "SELECT file_name FROM attachments", "SELECT file_name FROM draft_media",
				"SELECT params FROM sms_messages",
			} {
				rows, err := db.DB().QueryContext(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var v string
					if err := rows.Scan(&v); err != nil {
						t.Fatal(err)
					}
					if v != "" && !strings.HasPrefix(v, prefix) {
						t.Errorf("%s: %.12q… is not sealed with the new key", q, v)
					}
				}
				rows.Close()
			}
			var clear int
			if err := db.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM attachments WHERE data_sealed = 0").Scan(&clear); err != nil || clear != 0 {
				t.Errorf("%d attachments still in clear (%v)", clear, err)
			}

			// The new key alone reads everything, phone search included.
			only, err := rot.open(t, newKey)
			if err != nil {
				t.Fatalf("open with the new key alone: %v", err)
			}
			if diff := cmp.Diff(want, readAll(t, only, number, draftID)); diff != "" {
				t.Errorf("read with the new key alone (-want +got):\n%s", diff)
			}
			// The old key alone is refused.
			var keyErr *storage.KeyError
			if _, err := rot.open(t, oldKey); !errors.As(err, &keyErr) || keyErr.Reason != storage.KeyNotConfigured {
				t.Errorf("open with the old key alone: %v, want KeyNotConfigured", err)
			}
			// Rotating back to the retired key makes it a key in use again:
			// the new key alone is then refused.
			if _, err := rot.open(t, oldKey, newKey); err != nil {
				t.Fatalf("rotate back to the old key: %v", err)
			}
			if _, err := rot.open(t, newKey); !errors.As(err, &keyErr) || keyErr.Reason != storage.KeyNotConfigured {
				t.Errorf("open with the new key alone after rotating back: %v, want KeyNotConfigured", err)
			}
		})
	}
}

// TestRekeySetsAsideWhatNoKeyOpens: a value moved from another row opens
// with no key; the rotation records it, leaves it, and still completes.
func TestRekeySetsAsideWhatNoKeyOpens(t *testing.T) {
	for _, b := range reopenables {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rot := newRotation(t, b)
			oldKey, newKey := rot.old, rot.new
			old := rot.replica(t, oldKey)
			c := mustCreate(t, old, newCase("BC2611280001", nil))
			mustCreate(t, old, newCase("BC2611280002", nil))
			raw := old.DB()
			var other string
			if err := raw.QueryRowContext(ctx, "SELECT description FROM cases WHERE number = 'BC2611280002'").Scan(&other); err != nil {
				t.Fatal(err)
			}
			if _, err := raw.ExecContext(ctx, "UPDATE cases SET description = ? WHERE id = ?", other, c.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := old.GetCase(ctx, c.Number); !errors.Is(err, cases.ErrUnreadable) {
				t.Fatalf("a description moved from another case: %v, want ErrUnreadable", err)
			}
			// And an outbox message moved from another, both sealed to
			// their reference.
			var msgs []*cases.OutboxMessage
			for _, text := range []string{"甲", "乙"} {
				m := &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelApp, Recipient: "zhangsan", Message: cases.Message{Text: text}, CreatedAt: at}
				if err := old.Enqueue(ctx, m); err != nil {
					t.Fatal(err)
				}
				msgs = append(msgs, m)
			}
			if _, err := raw.ExecContext(ctx, "UPDATE outbox SET message = (SELECT message FROM (SELECT message FROM outbox WHERE id = ?) o) WHERE id = ?",
				msgs[1].ID, msgs[0].ID); err != nil {
				t.Fatal(err)
			}

			db := rot.replica(t, newKey, oldKey)
			res, err := db.Rekey(ctx, 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Tables[0].Unreadable != 1 || res.Tables[4].Table != "outbox" || res.Tables[4].Unreadable != 1 || res.Left != 0 || len(res.Retired) != 1 {
				t.Errorf("rekey: %+v; want one unreadable case and outbox message, nothing left, the old key retired", res)
			}
			rows, err := db.SetAsideRows(ctx, 10)
			if err != nil || len(rows) != 2 || rows[0].Table != "cases" || rows[0].Column != "description" || rows[0].Key != c.Number ||
				rows[1].Table != "outbox" || rows[1].Column != "message" || rows[1].Key != itoa(msgs[0].ID) {
				t.Errorf("set aside: %+v, %v; want cases.description of %s and outbox.message of %d", rows, err, c.Number, msgs[0].ID)
			}
			if got, err := db.CaseOutbox(ctx, c.ID); !errors.Is(err, cases.ErrUnreadable) {
				t.Errorf("outbox after the rotation: %v, %v; want the moved message still refused", got, err)
			}
			if _, err := raw.ExecContext(ctx, "DELETE FROM outbox WHERE id = ?", msgs[0].ID); err != nil {
				t.Fatal(err)
			}
			if got, err := rot.replica(t, newKey).CaseOutbox(ctx, c.ID); err != nil || len(got) != 1 || got[0].Message.Text != "乙" {
				t.Errorf("the other message with the new key alone: %+v, %v", got, err)
			}
			if got, err := db.GetCase(ctx, "BC2611280002"); err != nil || got.Description != newCase("", nil).Description {
				t.Errorf("the other case: %v", err)
			}
		})
	}
}

// TestRekeyAgainAfterAnOldReplicaWrote: a process still on the old key
// writes into a table the rotation has walked; the rotation retires no key
// and says so, and run again it walks that table anew and finishes.
func TestRekeyAgainAfterAnOldReplicaWrote(t *testing.T) {
	for _, b := range reopenables {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rot := newRotation(t, b)
			oldKey, newKey := rot.old, rot.new
			oldReplica := rot.replica(t, oldKey)
			mustCreate(t, oldReplica, newCase("BC2611280001", nil))
			db := rot.replica(t, newKey, oldKey)
			wrote := false
			res, err := db.Rekey(ctx, 10, func(r storage.RekeyReport) {
				if r.Table == "events" && !wrote {
					wrote = true
					mustCreate(t, oldReplica, newCase("BC2611280002", nil))
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Left == 0 || len(res.Retired) != 0 {
				t.Fatalf("rekey with a late old-key write: left %d, retired %v; want the late case's values left and no key retired", res.Left, res.Retired)
			}
			res, err = db.Rekey(ctx, 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Left != 0 || len(res.Retired) != 1 || res.Tables[0].Resealed != 1 {
				t.Errorf("run again: left %d, retired %v, cases %+v; want the late case sealed anew and the old key retired",
					res.Left, res.Retired, res.Tables[0])
			}
			only := rot.replica(t, newKey)
			if _, err := only.GetCase(ctx, "BC2611280002"); err != nil {
				t.Errorf("the late case with the new key alone: %v", err)
			}
		})
	}
}
