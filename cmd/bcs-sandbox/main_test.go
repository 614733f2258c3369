package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"banchengshi/configs"
)

var directory = filepath.Join("..", "..", "configs", "directory.example.yaml")

// The sandbox process serves only on loopback: anyone reaching it can sign
// in as any staff member.
func TestRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:18090", ":18090", "10.0.0.5:18090"} {
		err := run(context.Background(), []string{"-addr", addr, "-directory", directory})
		if err == nil || !strings.Contains(err.Error(), "must be a loopback host:port") {
			t.Errorf("-addr %s: err = %v, want refused", addr, err)
		}
	}
}

// Its env file points a product in real-corp mode at it.
func TestEnvFileConfiguresTheProduct(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), "sandbox.env")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-directory", directory, "-env-file", envFile})
	}()
	var data []byte
	for i := 0; len(data) == 0; i++ {
		select {
		case err := <-done:
			t.Fatalf("run returned: %v", err)
		default:
		}
		if i == 3000 {
			t.Fatal("no env file written")
		}
		time.Sleep(10 * time.Millisecond)
		data, _ = os.ReadFile(envFile)
	}
	environ := append(strings.Fields(string(data)), "BCS_HTTP_ADDR=127.0.0.1:0", "BCS_DIRECTORY="+directory)
	cfg, err := configs.LoadEnviron("", environ)
	if err != nil {
		t.Fatalf("the product refuses the sandbox's settings: %v", err)
	}
	if cfg.Sandbox() {
		t.Error("the product would serve a sandbox of its own")
	}
	res, err := http.Get(cfg.WeComAPIBase + "/cgi-bin/gettoken?corpid=" + cfg.CorpID + "&corpsecret=" + cfg.Secret)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("gettoken: %d", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}
