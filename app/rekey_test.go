package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/sandbox"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// TestRekeyWhileRunning rotates the data key of a running product: it
// restarts with the new key and the old as previous, the rotation runs
// beside it while it keeps writing, and at the end it restarts with the new
// key alone and reads everything.
func TestRekeyWhileRunning(t *testing.T) {
	for _, b := range []string{"sqlite", "mysql"} {
		t.Run(b, func(t *testing.T) {
			cfg := embeddedConfig(t, t.TempDir())
			if b == "mysql" {
				// Production's shape: MySQL runs only against a WeCom (here
				// the sandbox on a server of its own, as the harness does).
				sb, err := sandbox.New(sandbox.Config{Log: testLogger(t)})
				if err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewServer(sb.Handler())
				t.Cleanup(func() { sb.Close(); srv.Close() })
				sc := sb.Config()
				cfg.CorpID, cfg.AgentID, cfg.Secret = sc.CorpID, sc.AgentID, sc.Secret
				cfg.Token, cfg.AESKey = sc.Token, sc.EncodingAESKey
				cfg.WeComAPIBase, cfg.SignInBase = srv.URL, srv.URL
				cfg.DBDriver, cfg.DBDSN = "mysql", storagetest.MySQLDSN(t)
			}
			oldKey, newKey := pii.NewKey(), pii.NewKey()
			cfg.DataKey = oldKey
			ctx := context.Background()
			var number string
			err := startClose(t, cfg, func(a *App) {
				c := &cases.Case{Number: "BC2612060001", OpenKfID: "wkA", ReporterID: "wmB", Status: cases.StatusSubmitted,
					Affected: cases.Person{Name: "王大爷", IDNumber: "11010519610715123X"}, ContactPhone: "13812345678",
					Description: "养老金停发了", CreatedAt: time.Now(), UpdatedAt: time.Now()}
				if err := a.Repo().CreateCase(ctx, c); err != nil {
					t.Fatal(err)
				}
				number = c.Number
				if err := a.Repo().AddAttachment(ctx, &cases.Attachment{CaseID: c.ID, Kind: "image", Data: []byte("id card photo")}); err != nil {
					t.Fatal(err)
				}
			})
			if err != nil {
				t.Fatal(err)
			}

			cfg.DataKey, cfg.DataKeyPrevious = newKey, oldKey
			a, err := New(ctx, cfg, Options{Log: testLogger(t), WorkerInterval: time.Hour})
			if err != nil {
				t.Fatalf("restart with both keys: %v", err)
			}
			defer a.Close(ctx)
			res, err := Rekey(ctx, cfg, RekeyOptions{Log: testLogger(t), Batch: 1})
			if err != nil {
				t.Fatalf("rekey: %v", err)
			}
			if len(res.Retired) != 1 {
				t.Errorf("retired %v, want the old key", res.Retired)
			}
			// The running product reads and writes on. Its scheduler may
			// change the case meanwhile (its first round lights it), so the
			// write reads again on a conflict, as the desk's writers do.
			for try := 1; ; try++ {
				c, err := a.Repo().GetCase(ctx, number)
				if err != nil || c.Affected.IDNumber != "11010519610715123X" {
					t.Fatalf("running product reads the case: %v", err)
				}
				c.Description += "（补充）"
				err = a.Repo().UpdateCase(ctx, c)
				if err == nil {
					break
				}
				if !errors.Is(err, cases.ErrConflict) || try == 3 {
					t.Fatal(err)
				}
			}
			if err := a.Close(ctx); err != nil {
				t.Fatal(err)
			}

			cfg.DataKeyPrevious = ""
			err = startClose(t, cfg, func(a *App) {
				got, err := a.Repo().GetCase(ctx, number)
				if err != nil || got.Description != "养老金停发了（补充）" {
					t.Fatalf("with the new key alone: %+v, %v", got, err)
				}
				atts, err := a.Repo().Attachments(ctx, got.ID)
				if err != nil || len(atts) != 1 {
					t.Fatalf("attachments: %v", err)
				}
				if att, err := a.Repo().GetAttachment(ctx, atts[0].ID); err != nil || string(att.Data) != "id card photo" {
					t.Fatalf("attachment bytes with the new key alone: %v", err)
				}
			})
			if err != nil {
				t.Fatalf("restart with the new key alone: %v", err)
			}
			// The old key is refused now, with what to do.
			cfg.DataKey = oldKey
			if err := startClose(t, cfg, nil); err == nil || !strings.Contains(err.Error(), "BCS_DATA_KEY_PREVIOUS") {
				t.Errorf("restart with the old key: %v; want a refusal that explains", err)
			}
		})
	}
}

// TestWatchDataKeys: a replica started before a rotation, on the old key
// alone, says once that the rotation began with a key it does not have, and
// once, when the rotation retired its key, that it writes no personal data
// until it is restarted.
func TestWatchDataKeys(t *testing.T) {
	ctx := context.Background()
	dsn := storage.DefaultSQLiteDSN(filepath.Join(t.TempDir(), "banchengshi.db"))
	sealer := func(keys ...string) *pii.Sealer {
		var raw [][]byte
		for _, k := range keys {
			b, err := pii.ParseKey(k)
			if err != nil {
				t.Fatal(err)
			}
			raw = append(raw, b)
		}
		s, err := pii.NewSealer(raw[0], raw[1:]...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	open := func(s *pii.Sealer) *storage.SQL {
		db, err := storage.Open(ctx, storage.DriverSQLite, dsn, s)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	oldKey, newKey := pii.NewKey(), pii.NewKey()
	oldReplica := open(sealer(oldKey))

	var logged lockedBuffer
	watching, stop := context.WithCancel(ctx)
	tick, stopped := make(chan time.Time), make(chan struct{})
	go func() {
		watchDataKeys(watching, oldReplica, slog.New(slog.NewTextHandler(&logged, nil)), tick)
		close(stopped)
	}()
	// A tick is handled once the next one is taken.
	ticks := func(n int) {
		for range n {
			tick <- time.Now()
		}
	}

	ticks(2)
	if got := logged.String(); got != "" {
		t.Errorf("logged before any rotation:\n%s", got)
	}
	rotating := open(sealer(newKey, oldKey))
	ticks(3)
	if got := strings.Count(logged.String(), "a data key rotation began with a key this replica does not have"); got != 1 {
		t.Errorf("the rotation was reported %d times, want once:\n%s", got, logged.String())
	}
	if res, err := rotating.Rekey(ctx, 100, nil); err != nil || len(res.Retired) != 1 {
		t.Fatalf("rekey: %+v, %v", res, err)
	}
	ticks(3)
	if got := strings.Count(logged.String(), "level=ERROR msg=\"data key retired"); got != 1 {
		t.Errorf("the refusal was reported %d times, want once:\n%s", got, logged.String())
	}
	stop()
	<-stopped
}

// lockedBuffer is a log destination read while a goroutine writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestStaleSummary: what rekey says about values left under other keys.
func TestStaleSummary(t *testing.T) {
	got := staleSummary([]storage.StaleValues{{Table: "events", KeyID: "0a1b2c3d4e5f", Count: 1001}, {Table: "cases", Count: 2}})
	want := "events: 1001 under key id 0a1b2c3d4e5f; cases: 2 sealed before key ids or not sealed at all"
	if got != want {
		t.Errorf("staleSummary = %q, want %q", got, want)
	}
}
