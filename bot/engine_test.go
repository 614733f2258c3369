package bot

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// failingSessions fails every call, like a database that is down.
type failingSessions struct{}

func (failingSessions) LoadSession(context.Context, string) ([]byte, error) {
	return nil, errors.New("connection refused")
}
func (failingSessions) SaveSession(context.Context, string, []byte) error {
	return errors.New("connection refused")
}
func (failingSessions) DeleteSession(context.Context, string) error {
	return errors.New("connection refused")
}
func (failingSessions) SaveDraftMedia(context.Context, string, *cases.Attachment) (int64, error) {
	return 0, errors.New("connection refused")
}
func (failingSessions) DraftMedia(context.Context, int64) (*cases.Attachment, error) {
	return nil, errors.New("connection refused")
}
func (failingSessions) DeleteDraftMedia(context.Context, string, []int64) error {
	return errors.New("connection refused")
}

func TestInfrastructureErrorsPropagateAndChangeNothing(t *testing.T) {
	tests := []struct {
		name    string
		setup   string // transcript played before the failing message
		failing string
	}{
		{"submit", "我：1\n我：1\n我：跳过\n我：不知道\n我：13812345678\n我：1\n我：没有\n我：养老金停了\n我：说完了", "确认"},
		{"query", "", "查询"},
		{"handover", "我：1", "人工"},
		{"supplement", "我：补充", "工资单找到了"},
		{"withdraw", "我：撤回\n我：跳过", "确认"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			desk := newFakeDesk()
			desk.seed("wm_citizen", "pension", cases.StatusSubmitted)
			c := newConversation(t, desk)
			c.play(tc.setup)
			key := SessionKey("kf1", "wm_citizen")
			before := bytes.Clone(c.store.m[key])
			desk.failNext = errors.New("database is down")
			_, err := c.engine.Handle(context.Background(), c.store, desk, Incoming{
				OpenKfID: "kf1", ExternalUserID: "wm_citizen", Kind: KindText, Text: tc.failing, At: c.now.Add(time.Minute),
			})
			if err == nil || !strings.Contains(err.Error(), "database is down") {
				t.Fatalf("Handle error = %v, want the desk's error wrapped", err)
			}
			if !bytes.Equal(before, c.store.m[key]) {
				t.Errorf("the session changed although the message failed")
			}
			// The pipeline retries the message: now it goes through.
			c.play("我：" + tc.failing)
		})
	}
	_, err := New(Config{}).Handle(context.Background(), failingSessions{}, newFakeDesk(), Incoming{Kind: KindText, Text: "你好"})
	if err == nil || !strings.Contains(err.Error(), "load dialog session") {
		t.Errorf("session store failure: err = %v", err)
	}
}

// refusingDesk refuses withdrawals, as the lifecycle may for a resolved case.
type refusingDesk struct{ *fakeDesk }

func (refusingDesk) Withdraw(context.Context, string, string, string) error {
	return errors.New("withdraw: resolved cases wait for the follow-up: " + cases.ErrRefused.Error())
}

func TestRefusalsAreAnsweredKindly(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"not found", errors.Join(errors.New("withdraw"), cases.ErrNotFound), textCaseNotFound},
		{"not open", errors.Join(errors.New("withdraw"), cases.ErrNotOpen), textCaseNotOpen},
		{"refused", errors.Join(errors.New("withdraw"), cases.ErrRefused), textCaseRefused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			desk := newFakeDesk()
			desk.seed("wm_citizen", "pension", cases.StatusSubmitted)
			c := newConversation(t, desk)
			c.play("我：撤回\n我：跳过")
			desk.failNext = tc.err
			c.play("我：确认\n办：" + strings.SplitN(tc.want, "\n", 2)[0])
		})
	}
	// An error that only reads like a refusal is not one: it is retried.
	desk := refusingDesk{newFakeDesk()}
	desk.seed("wm_citizen", "pension", cases.StatusSubmitted)
	e, store := New(Config{}), newMemSessions()
	for _, text := range []string{"撤回", "跳过"} {
		if _, err := e.Handle(context.Background(), store, desk, Incoming{OpenKfID: "kf1", ExternalUserID: "wm_citizen", Kind: KindText, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Handle(context.Background(), store, desk, Incoming{OpenKfID: "kf1", ExternalUserID: "wm_citizen", Kind: KindText, Text: "确认"}); err == nil {
		t.Error("an unwrapped error was taken for a refusal")
	}
}

func TestStoredSessions(t *testing.T) {
	key := SessionKey("kf1", "wm_citizen")
	tests := []struct {
		name   string
		stored string
		script string
	}{
		{
			name:   "a session written before versioning continues",
			stored: `{"step":"phone","history":["who","id"],"draft":{"who":"self","id_asked":true},"updated_at":"2026-11-28T09:30:00+08:00"}`,
			script: "我：13812345678\n办：这件事属于哪一类？",
		},
		{
			name:   "a report for oneself begun before the name was asked continues without it",
			stored: `{"version":2,"step":"id","history":["who"],"draft":{"who":"self"},"updated_at":"2026-11-28T09:30:00+08:00"}`,
			script: "我：不知道\n办：请发您的电话号码\n我：13812345678\n我：1\n我：没有\n我：养老金停了\n我：说完了\n办：姓名：未提供\n我：确认\n办：提交成功",
		},
		{
			name:   "a report for somebody else begun before 称呼 was asked asks it next",
			stored: `{"version":2,"step":"consent","history":["who","name","relation"],"draft":{"who":"neighbour","name":"张德福","relation":"邻居"},"updated_at":"2026-11-28T09:30:00+08:00"}`,
			script: "我：1\n办：怎么称呼您？\n我：上一步\n办：张德福知道您来反映\n我：1\n我：王阿姨\n办：请发张德福的身份证号码",
		},
		{
			name:   "a damaged session starts over kindly",
			stored: `{"step":`,
			script: "我：你好\n办：没能接上\n办：请问您要办什么？",
		},
		{
			name:   "a session from a newer release starts over kindly",
			stored: `{"version":99,"step":"quantum"}`,
			script: "我：你好\n办：没能接上",
		},
		{
			name:   "a step this release does not know falls back to the menu",
			stored: `{"version":1,"step":"quantum","updated_at":"2026-11-28T09:30:00+08:00"}`,
			script: "我：再说一遍\n办：请问您要办什么？",
		},
		{
			name:   "an unknown step keeps the answers for the next report",
			stored: `{"version":1,"step":"quantum","draft":{"who":"self"},"parts":[{"text":"养老金停了"}],"updated_at":"2026-11-28T09:30:00+08:00"}`,
			script: "我：1\n办：请问您的姓名？\n我：跳过\n我：不知道\n我：13812345678\n我：1\n我：没有\n办：请核对\n我：说完了\n办：问题：养老金停了",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newConversation(t, newFakeDesk())
			c.store.m[key] = []byte(tc.stored)
			c.play(tc.script)
		})
	}
}

func TestAttachmentBytesSurviveUntilSubmit(t *testing.T) {
	desk := newFakeDesk()
	c := newConversation(t, desk)
	c.play("我：[语音]\n我：1\n我：跳过\n我：不知道\n我：13812345678\n（重启）\n我：1\n我：没有\n我：[照片]\n我：说完了\n我：确认\n办：提交成功")
	if len(desk.cases) != 1 {
		t.Fatalf("%d cases submitted", len(desk.cases))
	}
	var got []cases.Attachment
	for _, a := range desk.cases[0].Atts {
		got = append(got, *a)
	}
	want := []cases.Attachment{
		{Kind: KindVoice, MediaID: "media1", FileName: "voice.amr1", ContentType: "audio/amr", Size: 13, Data: []byte("voice bytes 1"), CreatedAt: testStart.Add(time.Minute)},
		{Kind: KindImage, MediaID: "media8", FileName: "photo.jpg8", ContentType: "image/jpeg", Size: 13, Data: []byte("image bytes 8"), CreatedAt: testStart.Add(8 * time.Minute)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	if _, ok := c.store.m[SessionKey("kf1", "wm_citizen")]; ok {
		t.Error("the session outlived the submitted case")
	}
}

func TestEnterSession(t *testing.T) {
	c := newConversation(t, newFakeDesk())
	c.play(`
		我：[进入]
		办：“办不成事”反映窗口
		办：[1. 反映问题]
		我：1
		我：[进入]
		办：欢迎回来
		办：这件事是谁遇到的？`)
}

func TestConfigDefaults(t *testing.T) {
	e := New(Config{})
	got := []time.Duration{e.cfg.DraftTTL, e.cfg.ResumeAfter}
	if diff := cmp.Diff([]time.Duration{7 * 24 * time.Hour, 12 * time.Hour}, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if e.cfg.Now == nil {
		t.Error("no clock")
	}
}
