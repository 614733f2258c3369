package app

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/sandbox"
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
			// The running product reads and writes on.
			c, err := a.Repo().GetCase(ctx, number)
			if err != nil || c.Affected.IDNumber != "11010519610715123X" {
				t.Fatalf("running product reads the case: %v", err)
			}
			c.Description += "（补充）"
			if err := a.Repo().UpdateCase(ctx, c); err != nil {
				t.Fatal(err)
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
