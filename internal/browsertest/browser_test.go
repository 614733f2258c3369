package browsertest

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The screenshots of every package's browser tests land in one folder at the
// repository root, however deep the package is: here two levels down.
func TestArtifactsAtTheModuleRoot(t *testing.T) {
	got, err := artifactsDir()
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.Abs(filepath.Join("..", "..", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("artifacts folder %s, want %s", got, want)
	}
}

// Outside any module there is no root to put artifacts under: an error, not
// a folder somewhere unexpected.
func TestArtifactsOutsideAModule(t *testing.T) {
	t.Chdir(t.TempDir())
	if got, err := artifactsDir(); err == nil {
		t.Errorf("artifacts folder %s outside any module, want an error", got)
	}
}

// A step that fails stops the test with the step's name and what the page
// wrote to the console, which is often the only clue to why.
func TestFailedStepTellsTheConsole(t *testing.T) {
	b := Start(t, Chromium(t))
	b.Do("open a page that complains",
		chromedp.Navigate(`data:text/html,<script>console.error("boom-42")</script><p id="p">ready</p>`))
	if got := Read(b, "the paragraph", chromedp.Text(chromedp.ID("p"))); got != "ready" {
		t.Errorf("read %q, want ready", got)
	}
	// The console arrives beside the page's answers, not with them: wait for
	// it (the browser's deadline bounds the wait).
	for !strings.Contains(b.console(), "boom-42") {
		if err := b.ctx.Err(); err != nil {
			t.Fatalf("the page's console.error never arrived: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	rec := &recorder{TB: t}
	b.t = rec
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Do("go nowhere", chromedp.Navigate("not a url"))
	}()
	<-done
	b.t = t
	if !rec.fatal {
		t.Fatal("a failed step did not stop the test")
	}
	for _, want := range []string{"browser: go nowhere: ", "console:", "boom-42"} {
		if !strings.Contains(rec.msg, want) {
			t.Errorf("failure message %q lacks %q", rec.msg, want)
		}
	}
}

// recorder is a test that records a Fatalf instead of failing, and stops the
// goroutine as the real one does.
type recorder struct {
	testing.TB
	fatal bool
	msg   string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
