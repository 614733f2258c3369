package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"banchengshi/configs"
	"banchengshi/pii"
	"banchengshi/storage"
)

// embeddedConfig is the embedded default (SQLite, key file, sandbox) in dir.
func embeddedConfig(t *testing.T, dir string) configs.Config {
	cfg := configs.Default()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DBDSN = "file:" + filepath.Join(dir, "banchengshi.db")
	cfg.DataKeyFile = filepath.Join(dir, "data.key")
	cfg.Directory = filepath.Join("..", "configs", "directory.example.yaml")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startClose(t *testing.T, cfg configs.Config, use func(*App)) error {
	t.Helper()
	a, err := New(context.Background(), cfg, Options{Log: testLogger(t), WorkerInterval: time.Hour})
	if err != nil {
		return err
	}
	if use != nil {
		use(a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.Close(ctx)
}

// A lost key file is not replaced by a new key once the database holds
// sealed data or a key check value: start-up stops and says what to do.
func TestLostKeyFileStopsStart(t *testing.T) {
	for _, c := range []struct {
		name string
		seal bool // whether personal data was stored before the key file went
	}{
		{"with sealed data", true},
		{"with only the check value", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := embeddedConfig(t, dir)
			err := startClose(t, cfg, func(a *App) {
				if c.seal {
					if err := a.Repo().SaveSession(context.Background(), "wkA:wmB", []byte(`{"phone":"13812345678"}`)); err != nil {
						t.Fatal(err)
					}
				}
			})
			if err != nil {
				t.Fatalf("first start: %v", err)
			}
			first, err := os.ReadFile(cfg.DataKeyFile)
			if err != nil {
				t.Fatalf("first start wrote no key file: %v", err)
			}
			// The same key file starts again.
			if err := startClose(t, cfg, nil); err != nil {
				t.Fatalf("second start with the same key file: %v", err)
			}
			if err := os.Remove(cfg.DataKeyFile); err != nil {
				t.Fatal(err)
			}
			err = startClose(t, cfg, nil)
			var keyErr *storage.KeyError
			if !errors.As(err, &keyErr) || !strings.Contains(err.Error(), "restore "+cfg.DataKeyFile) {
				t.Fatalf("start without the key file: %v; want a KeyError asking to restore %s", err, cfg.DataKeyFile)
			}
			if _, err := os.Stat(cfg.DataKeyFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused start left a key file behind: %v", err)
			}
			// Restored from backup, it starts.
			if err := os.WriteFile(cfg.DataKeyFile, first, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := startClose(t, cfg, nil); err != nil {
				t.Fatalf("start with the key file restored: %v", err)
			}
		})
	}
}

// A configured key that is not the database's stops start-up; the old key
// configured as previous beside a new one starts (a rotation), and a
// replica still on the old key alone is then refused.
func TestWrongKeyStopsStart(t *testing.T) {
	dir := t.TempDir()
	cfg := embeddedConfig(t, dir)
	oldKey, newKey := pii.NewKey(), pii.NewKey()
	cfg.DataKey = oldKey
	if err := startClose(t, cfg, nil); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name          string
		key, previous string
		want          storage.KeyReason // "" starts
	}{
		{"another key", newKey, "", storage.KeyNotConfigured},
		{"the same key", oldKey, "", ""},
		{"new key, old as previous", newKey, oldKey, ""},
		{"old key alone once a rotation began", oldKey, "", storage.KeyNotConfigured},
		{"new key alone before the rotation ended", newKey, "", storage.KeyNotConfigured},
		{"both again", newKey, oldKey, ""},
	}
	for _, s := range steps {
		cfg.DataKey, cfg.DataKeyPrevious = s.key, s.previous
		err := startClose(t, cfg, nil)
		var keyErr *storage.KeyError
		switch {
		case s.want == "" && err != nil:
			t.Errorf("%s: %v, want a start", s.name, err)
		case s.want != "" && (!errors.As(err, &keyErr) || keyErr.Reason != s.want):
			t.Errorf("%s: %v, want a KeyError %s", s.name, err, s.want)
		}
	}
	if _, err := os.Stat(cfg.DataKeyFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a configured key must not write a key file: %v", err)
	}
}

// While keys rotate, the web session key derives from the previous data key,
// which replicas on both sides of a rolling restart share.
func TestSessionKeyDuringRotation(t *testing.T) {
	oldKey, newKey := pii.NewKey(), pii.NewKey()
	for _, c := range []struct {
		name, key, previous, want string
	}{
		{"one key", oldKey, "", oldKey},
		{"rotating", newKey, oldKey, oldKey},
		{"rotated", newKey, "", newKey},
	} {
		cfg := configs.Default()
		cfg.DataKey, cfg.DataKeyPrevious = c.key, c.previous
		keys, err := loadDataKeys(cfg)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pii.ParseKey(c.want)
		if err != nil {
			t.Fatalf("%s: parse the key the session key should derive from: %v", c.name, err)
		}
		if string(keys.session()) != string(want) {
			t.Errorf("%s: the session key derives from another data key", c.name)
		}
	}
}
