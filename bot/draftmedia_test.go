package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// Files received for a draft wait in the store's draft media; the session
// keeps their ids only.

func TestDraftFilesStayOutOfTheSession(t *testing.T) {
	desk := newFakeDesk()
	c := newConversation(t, desk)
	key := SessionKey("kf1", "wm_citizen")
	c.play("我：1\n我：1\n我：跳过\n我：不知道\n我：13812345678\n我：1\n我：没有")
	photo := bytes.Repeat([]byte("jpeg"), 1<<18) // 1 MB
	for i := range 20 {
		c.now = c.now.Add(time.Minute)
		in := Incoming{OpenKfID: "kf1", ExternalUserID: "wm_citizen", Kind: KindImage, At: c.now,
			Media: &Media{Kind: KindImage, FileName: fmt.Sprintf("p%d.jpg", i), ContentType: "image/jpeg", Data: photo, MediaID: fmt.Sprint("m", i)}}
		if _, err := c.engine.Handle(context.Background(), c.store, desk, in); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.store.m[key]); n > 8<<10 {
		t.Errorf("the session holding 20 photos is %d bytes; want it to keep ids only", n)
	}
	if n := len(c.store.mediaOf(key)); n != 20 {
		t.Errorf("%d draft files kept, want 20", n)
	}
	c.play("我：说完了\n办：照片20张\n我：确认\n办：提交成功")
	atts := desk.cases[0].Atts
	if len(atts) != 20 || !bytes.Equal(atts[19].Data, photo) || atts[19].Size != int64(len(photo)) || atts[19].FileName != "p19.jpg" {
		t.Errorf("submitted %d attachments; the last: %s, %d bytes", len(atts), atts[len(atts)-1].FileName, len(atts[len(atts)-1].Data))
	}
	if ids := c.store.mediaOf(key); len(ids) != 0 {
		t.Errorf("draft files %v outlived the submitted case", ids)
	}
}

func TestDraftFilesGoWithTheDraft(t *testing.T) {
	tests := []struct {
		name   string
		seed   func(*fakeDesk)
		script string
		left   int // draft files still kept at the end
	}{
		{"cancelled", nil, "我：[照片]\n我：1\n我：[语音]\n我：取消\n办：已取消", 0},
		{"started over", nil, "我：1\n我：1\n我：[照片]\n我：重新开始\n办：这件事是谁遇到的？", 0},
		{"expired", nil, "我：[照片]\n（过了8天）\n我：你好\n办：已经失效了", 0},
		{"expired, and a new file sent", nil, "我：[照片]\n（过了8天）\n我：[语音]\n办：已经失效了", 1},
		{"handed to an open case", func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusSubmitted) },
			"我：补充\n我：好了\n我：撤回\n我：[照片]\n办：已附到 BC2611280001", 0},
		{"kept while the report goes on", nil, "我：[照片]\n我：1\n我：[语音]\n我：查询", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			desk := newFakeDesk()
			if tc.seed != nil {
				tc.seed(desk)
			}
			c := newConversation(t, desk)
			c.play(tc.script)
			if got := len(c.store.mediaOf(SessionKey("kf1", "wm_citizen"))); got != tc.left {
				t.Errorf("%d draft files left, want %d", got, tc.left)
			}
		})
	}
}

func TestVersion1SessionWithBytesContinues(t *testing.T) {
	key := SessionKey("kf1", "wm_citizen")
	desk := newFakeDesk()
	c := newConversation(t, desk)
	// Written by the release that kept the bytes in the session.
	c.store.m[key] = []byte(`{"version":1,"step":"desc","history":["who","id","phone","category","tried_window"],
		"draft":{"who":"self","id_asked":true,"phone":"13812345678","phone_asked":true,"category":"pension","tried_window":"没有"},
		"parts":[{"text":"养老金停了"},{"att":1}],
		"atts":[{"kind":"voice","media_id":"m1","file_name":"1.amr","content_type":"audio/amr","data":"YW1yIGJ5dGVz","at":"2026-11-28T09:20:00+08:00"}],
		"updated_at":"2026-11-28T09:30:00+08:00"}`)
	c.play("我：[照片]\n办：照片收到了")
	if s := string(c.store.m[key]); strings.Contains(s, `"data"`) || !strings.Contains(s, `"version":2`) {
		t.Errorf("the upgraded session still carries bytes or its old version:\n%s", s)
	}
	c.play("我：说完了\n办：附件：语音1条、照片1张\n我：确认\n办：提交成功")
	var got []cases.Attachment
	for _, a := range desk.cases[0].Atts {
		got = append(got, *a)
	}
	want := []cases.Attachment{
		{Kind: KindVoice, MediaID: "m1", FileName: "1.amr", ContentType: "audio/amr", Size: 9, Data: []byte("amr bytes"), CreatedAt: time.Date(2026, 11, 28, 9, 20, 0, 0, cases.Shanghai)},
		{Kind: KindImage, MediaID: "media1", FileName: "photo.jpg1", ContentType: "image/jpeg", Size: 13, Data: []byte("image bytes 1"), CreatedAt: testStart.Add(time.Minute)},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	if ids := c.store.mediaOf(key); len(ids) != 0 {
		t.Errorf("draft files %v outlived the submitted case", ids)
	}
}

func TestMissingDraftFileDoesNotBlockTheReport(t *testing.T) {
	desk := newFakeDesk()
	c := newConversation(t, desk)
	c.play("我：[语音]\n我：1\n我：跳过\n我：不知道\n我：13812345678\n我：1\n我：没有")
	clear(c.store.media) // lost, somehow
	c.play("我：说完了\n我：确认\n办：提交成功")
	atts := desk.cases[0].Atts
	if len(atts) != 1 || atts[0].Kind != KindVoice || atts[0].MediaID != "media1" || len(atts[0].Data) != 0 {
		t.Errorf("attachments = %+v", atts)
	}
}

// brokenMedia is a session store whose draft media fail.
type brokenMedia struct{ *memSessions }

func (brokenMedia) SaveDraftMedia(context.Context, string, *cases.Attachment) (int64, error) {
	return 0, errors.New("disk full")
}

func TestDraftFileFailureIsRetried(t *testing.T) {
	c := newConversation(t, newFakeDesk())
	c.play("我：1")
	key := SessionKey("kf1", "wm_citizen")
	before := bytes.Clone(c.store.m[key])
	_, err := c.engine.Handle(context.Background(), brokenMedia{c.store}, c.desk, Incoming{
		OpenKfID: "kf1", ExternalUserID: "wm_citizen", Kind: KindVoice, At: c.now.Add(time.Minute),
		Media: &Media{Kind: KindVoice, Data: []byte("amr")},
	})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Handle error = %v, want the store's error", err)
	}
	if !bytes.Equal(before, c.store.m[key]) {
		t.Error("the session changed although the message failed")
	}
}
