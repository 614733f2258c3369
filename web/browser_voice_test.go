package web_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"banchengshi/cases"
	"banchengshi/internal/browsertest"
)

// TestBrowserPlaysAMRVoice is a staff member listening to a citizen's WeChat
// voice message (AMR-NB, which browsers cannot play by themselves) on the case
// page: the play button decodes it with the vendored player, shows its
// duration and plays it, and the same button stops it.
func TestBrowserPlaysAMRVoice(t *testing.T) {
	exe := browsertest.Chromium(t)
	product := startProduct(t)
	ctx := context.Background()

	now := time.Now()
	c := &cases.Case{Number: "BC2611200043", OpenKfID: "wkSANDBOX001", ReporterID: "wmBrowser", ReporterName: "李阿姨",
		Affected: cases.Person{Name: "王大爷", IDNumber: "11010519610715123X", Phone: "13812345678"},
		Category: "transfer", LeadDept: "shebao", Status: cases.StatusAssigned, Description: "语音里说了养老保险转移的事",
		Deadline: now.Add(5 * 24 * time.Hour), LimitDays: 10, Light: cases.LightGreen, CreatedAt: now.Add(-time.Hour)}
	if err := product.Repo().CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	const frames = 250 // 5 seconds: long enough to stop it while it plays
	voice := &cases.Attachment{CaseID: c.ID, Kind: "voice", FileName: "语音.amr", ContentType: "audio/amr",
		Data: amrNB(frames), CreatedAt: now}
	if err := product.Repo().AddAttachment(ctx, voice); err != nil {
		t.Fatal(err)
	}

	b := browsertest.Start(t, exe)
	read := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		return strings.TrimSpace(browsertest.Read(b, what, a))
	}
	player := `.voice[data-src="/web/attachments/` + strconv.FormatInt(voice.ID, 10) + `"]`
	button := chromedp.CSS(player + ` .voice-play`)

	b.Do("sign in", signInSteps(product.URL(), "wangwu")...)
	b.Do("open the case and see the play button",
		chromedp.Navigate(product.URL()+"/web/cases/"+c.Number),
		chromedp.WaitVisible(button),
		chromedp.WaitVisible(chromedp.CSS(player+` a[download]`)),
	)
	if got := read("the button", chromedp.Text(button)); got != "▶ 播放语音" {
		t.Errorf("button before playing: %q, want ▶ 播放语音", got)
	}
	b.Do("play the voice message",
		chromedp.Click(button),
		chromedp.WaitVisible(chromedp.CSS(player+`[data-state="playing"]`)),
	)
	playing := read("the button", chromedp.Text(button))
	shown := read("the duration", chromedp.Text(chromedp.CSS(player+` .voice-status`)))
	seconds := browsertest.Read(b, "the decoded duration", chromedp.Evaluate[string](`document.querySelector('`+player+`').dataset.duration`))
	b.FullScreenshot("case-voice.png")
	b.Do("stop it",
		chromedp.Click(button),
		chromedp.WaitVisible(chromedp.CSS(player+`[data-state="ready"]`)),
	)
	stopped := read("the button", chromedp.Text(button))

	want := float64(frames) * 0.020
	if d, err := strconv.ParseFloat(seconds, 64); err != nil || math.Abs(d-want) > 0.05 {
		t.Errorf("decoded duration %q s, want about %.2f s (%d frames of 20 ms)", seconds, want, frames)
	}
	if shown != "时长 5.0 秒" {
		t.Errorf("shown duration %q, want 时长 5.0 秒", shown)
	}
	if playing != "■ 停止播放" || stopped != "▶ 播放语音" {
		t.Errorf("button while playing %q and after stopping %q, want ■ 停止播放 and ▶ 播放语音", playing, stopped)
	}
}

// amrNB is a valid AMR-NB file of n frames of 20 ms at 12.2 kbit/s (mode 7):
// the magic line, then per frame the header byte 0x3C and 31 bytes of speech
// data, which the decoder takes whatever they are.
func amrNB(n int) []byte {
	b := []byte("#!AMR\n")
	for i := range n {
		b = append(b, 0x3C)
		for j := range 31 {
			b = append(b, byte(i*31+j*7))
		}
	}
	return b
}
