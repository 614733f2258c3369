package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"banchengshi/cases"
)

func FuzzParseChoice(f *testing.F) {
	for _, s := range []string{"1", "１", "一", "第一个", "1.", "本人", "邻居", "不是我", "④", "0007", "2. 家里人", "十一"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		for _, opts := range [][]string{whoOptions, consentOptions, categoryOptions(testCategories)} {
			i, ok := ParseChoice(input, opts)
			if ok && (i < 0 || i >= len(opts)) {
				t.Fatalf("ParseChoice(%q) = %d, out of range", input, i)
			}
			if j, ok2 := ParseChoice(input, opts); i != j || ok != ok2 {
				t.Fatalf("ParseChoice(%q) not deterministic", input)
			}
		}
	})
}

func FuzzValidIDNumber(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "370102196107151239", "370102196107151230", "３７０１０２", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		norm, ok, reason := ValidIDNumber(input)
		if !ok {
			if norm != "" || reason == "" {
				t.Fatalf("ValidIDNumber(%q) refused with norm %q, reason %q", input, norm, reason)
			}
			return
		}
		if len(norm) != 18 || reason != "" {
			t.Fatalf("ValidIDNumber(%q) = %q, %q", input, norm, reason)
		}
		if again, ok, _ := ValidIDNumber(norm); !ok || again != norm {
			t.Fatalf("normalised %q does not validate to itself", norm)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"1961年7月", "1961.7", "去年6月", "两年前", "不记得", "一九六一年七月", "大概2020年左右", "61年", "十二个月前"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, input string) {
		text, ok := ParseDate(input, now)
		if !ok {
			return
		}
		if text == "" || !utf8.ValidString(text) {
			t.Fatalf("ParseDate(%q) = %q", input, text)
		}
		if again, ok := ParseDate(text, now); !ok || again != text {
			t.Fatalf("ParseDate(%q) = %q, but that reads as %q, %v", input, text, again, ok)
		}
	})
}

// fuzzWords are what citizens say, for the engine fuzz test.
var fuzzWords = []string{
	"1", "2", "3", "4", "5", "１", "一", "第二个", "本人", "家人", "邻居", "其他", "王大爷", "同意", "不知道",
	"跳过", "370102196107151239", "370102196107151230", "13812345678", "0531-86012345", "养老金", "档案",
	"没有", "区社保中心", "去年6月", "两年前", "不记得", "说完了", "好了", "确认", "修改", "取消", "重新开始",
	"上一步", "返回", "再说一遍", "人工", "查询", "补充", "撤回", "继续", "你好", "我的养老保险转不过来，跑了两年了",
}

// owners are the steps on which a draft field may change: where it is asked,
// and where an answer makes it meaningless (who is affected, no window tried,
// the affected person has no phone).
var owners = map[string][]Step{
	"Who":         {stepWho},
	"Name":        {stepName, stepSelfName, stepWho},
	"Relation":    {stepRelation, stepWho},
	"Consent":     {stepConsent, stepWho},
	"Reporter":    {stepReporter, stepWho},
	"IDNumber":    {stepID},
	"IDAsked":     {stepID},
	"PhoneWhose":  {stepPhoneWhose, stepWho, stepPhone},
	"Phone":       {stepPhone},
	"PhoneAsked":  {stepPhone},
	"Category":    {stepCategory},
	"TriedWindow": {stepTriedWindow},
	"TriedWhen":   {stepTriedWhen, stepTriedWindow},
	"TriedAnswer": {stepTriedAnswer, stepTriedWindow},
}

func draftFields(d draft) map[string]string {
	b, _ := json.Marshal(d)
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	out := map[string]string{}
	for k, v := range map[string]any{
		"Who": m["who"], "Name": m["name"], "Relation": m["relation"], "Consent": m["consent"], "Reporter": m["reporter"],
		"IDNumber": m["id_number"], "IDAsked": m["id_asked"], "PhoneWhose": m["phone_whose"],
		"Phone": m["phone"], "PhoneAsked": m["phone_asked"], "Category": m["category"],
		"TriedWindow": m["tried_window"], "TriedWhen": m["tried_when"], "TriedAnswer": m["tried_answer"],
	} {
		if v != nil {
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}

func peek(t *testing.T, store *memSessions, key string) *session {
	raw, ok := store.m[key]
	if !ok {
		return newSession(time.Time{})
	}
	s := new(session)
	if err := json.Unmarshal(raw, s); err != nil {
		t.Fatalf("stored session is not JSON: %v", err)
	}
	return s
}

// FuzzEngine feeds the dialog random message sequences: it never panics,
// always answers, never repeats a full ID or phone number, and never loses a
// stored answer, a file or words held for a case unless the citizen changes
// it, starts over, cancels or submits, or it lapses after the draft's time
// and they are told. An infrastructure error is returned and leaves the
// session as it was.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 7, 15, 18, 21, 23, 27, 28}, "我家老人的档案丢了")
	f.Add([]byte{44, 1, 5, 13, 0, 17, 22, 26, 28, 29, 200, 201, 30}, "上一步")
	f.Add([]byte{46, 47, 48, 49, 50, 51, 52, 250, 60, 61}, "")
	f.Add([]byte{0, 1, 50, 55, 51, 2, 45, 53, 52, 54, 3, 4, 29, 251, 51, 40}, "档案馆说不归他们管")
	f.Add([]byte{46, 45, 28, 56, 57, 46, 0, 56, 39, 46, 2, 28, 41, 44, 251, 3}, "退休证在我儿子那里")
	f.Fuzz(func(t *testing.T, script []byte, free string) {
		if len(script) > 80 {
			script = script[:80]
		}
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		e := New(Config{Now: func() time.Time { return now }})
		store, desk := newMemSessions(), newFakeDesk()
		desk.seed("u", "pension", cases.StatusSubmitted)
		desk.seed("u", "archive", cases.StatusSubmitted)
		desk.resolved("u", "transfer", "王大爷", "邻居")
		desk.resolved("u", "retire", "", "本人")
		desk.askMaterial("BC2611280001") // a handler waits for material
		key := SessionKey("kf1", "u")
		var last Result
		for n, b := range script {
			now = now.Add(time.Minute)
			if b >= 250 {
				now = now.Add(time.Duration(b-249) * 13 * time.Hour) // a long silence, under the draft TTL
			}
			in := Incoming{MsgID: "m", OpenKfID: "kf1", ExternalUserID: "u", Kind: KindText, At: now}
			switch v := int(b); {
			case v < len(fuzzWords):
				in.Text = fuzzWords[v]
			case v == 44:
				in.Text = free
			case v == 45:
				in.Kind, in.Media = KindVoice, &Media{Kind: KindVoice, Data: []byte("amr"), MediaID: "v"}
			case v == 46:
				in.Kind, in.Media = KindImage, &Media{Kind: KindImage, Data: []byte("jpg"), MediaID: "i"}
			case v == 47:
				in.Kind = KindVoice // download failed
			case v == 48:
				in.Kind = KindLocation
			case v == 49:
				in.Kind = KindEnterSession
			case v == 50:
				in.MenuID = fmt.Sprintf("rate:BC261128%04d:%d", 3+n%2, n%6)
				in.Text = in.MenuID
			case v == 51:
				in.Text = "不满意"
			case v == 52:
				in.Text = "没解决，钱没到"
			case v == 53:
				in.MenuID, in.Text = "followup:6", "6 问题没解决"
			case v == 54:
				in.Text = "满意"
			case v == 55:
				in.Kind, in.Media = KindVoice, &Media{Kind: KindVoice, Data: []byte("amr"), MediaID: "v"}
				now = now.Add(30 * time.Minute) // past the main menu's freshness
			case v == 56, v == 57:
				// A handler asks for material on an open case; the
				// citizen answers straight away, in words or a photo.
				desk.askMaterial(fmt.Sprintf("BC261128%04d", 1+n%2))
				in.Text = "退休证找到了，在我儿子那里"
				if v == 57 {
					in.Kind, in.Text, in.Media = KindImage, "", &Media{Kind: KindImage, Data: []byte("jpg"), MediaID: "i"}
				}
			case v == 58, v == 59:
				// Staff close an open case meanwhile; the citizen sends
				// material, maybe for it, in a photo or in words.
				desk.closeCase(fmt.Sprintf("BC261128%04d", 1+n%2))
				in.Kind, in.Media = KindImage, &Media{Kind: KindImage, Data: []byte("jpg"), MediaID: "i"}
				if v == 59 {
					in.Kind, in.Text, in.Media = KindText, "单位的证明也找到了，明天送过去", nil
				}
			default:
				// Tap an item of the last menu, or of a made-up one.
				var items []cases.MenuItem
				for _, m := range last.Replies {
					items = append(items, m.Menu...)
				}
				if len(items) == 0 {
					in.MenuID, in.Text = "who:9", "9"
					break
				}
				it := items[v%len(items)]
				in.MenuID, in.Text = it.ID, it.Text
			}
			before := peek(t, store, key)
			supplementsBefore := len(desk.supplements)
			injected := b%17 == 16
			if injected {
				desk.failNext = errors.New("database is down")
			}
			raw := bytes.Clone(store.m[key])
			res, err := e.Handle(context.Background(), store, desk, in)
			failed := injected && desk.failNext == nil // the desk was called and failed
			desk.failNext = nil
			switch {
			case failed && err == nil:
				t.Fatalf("message %d (%q): the desk's failure was swallowed", n, in.Text)
			case failed:
				// The pipeline would retry the message; here it is dropped.
				if !bytes.Equal(raw, store.m[key]) {
					t.Fatalf("message %d: a failed message changed the session", n)
				}
				continue
			case err != nil:
				t.Fatalf("message %d (%q): %v", n, in.Text, err)
			}
			last = res
			if len(res.Replies) == 0 {
				t.Fatalf("message %d (%q): no reply", n, in.Text)
			}
			for _, m := range res.Replies {
				if strings.TrimSpace(m.Text) == "" {
					t.Fatalf("message %d (%q): empty reply", n, in.Text)
				}
				for _, secret := range []string{"370102196107151239", "13812345678", "053186012345"} {
					if strings.Contains(m.Text, secret) {
						t.Fatalf("message %d: reply repeats %s", n, secret)
					}
				}
			}
			after := peek(t, store, key)
			if kept := store.mediaOf(key); !slices.Equal(kept, after.mediaIDs()) {
				t.Fatalf("message %d (%q) on step %s: draft files %v, the session refers to %v", n, in.Text, before.Step, kept, after.mediaIDs())
			}
			if !before.UpdatedAt.IsZero() && now.Sub(before.UpdatedAt) > e.cfg.DraftTTL {
				// Failed messages are dropped, so silences add up past
				// the time a draft is kept: it lapses, as it would for a
				// citizen silent that long, and they are told.
				if (before.hasDraft() || before.holding()) && !strings.Contains(render(res), textExpired(e.cfg.DraftTTL)) {
					t.Fatalf("message %d: a draft or held material lapsed in silence", n)
				}
				continue
			}
			w := squeeze(clean(in.Text))
			reset := in.Kind == KindText && (slices.Contains(wordsCancel, w) || slices.Contains(wordsRestart, w)) ||
				before.Step == stepConfirm || before.Step == stepResume
			if reset {
				continue
			}
			fb, fa := draftFields(before.Draft), draftFields(after.Draft)
			for field, v := range fb {
				if fa[field] != v && !slices.Contains(owners[field], before.Step) {
					t.Fatalf("message %d (%q) on step %s changed %s from %s to %q", n, in.Text, before.Step, field, v, fa[field])
				}
			}
			if len(after.Parts) < len(before.Parts) || !slices.Equal(after.Parts[:len(before.Parts)], before.Parts) {
				t.Fatalf("message %d (%q) on step %s lost description parts", n, in.Text, before.Step)
			}
			if len(after.Atts)+len(desk.supplements)-supplementsBefore < len(before.Atts) {
				t.Fatalf("message %d (%q) on step %s lost attachments", n, in.Text, before.Step)
			}
			// Held words reach a case, join a report's story, or stay held.
			words := len(after.Held)
			for _, p := range after.Parts[len(before.Parts):] {
				if p.Text != "" {
					words++
				}
			}
			for _, s := range desk.supplements[supplementsBefore:] {
				if s.Text != "" {
					words++
				}
			}
			if words < len(before.Held) {
				t.Fatalf("message %d (%q) on step %s lost words held for a case", n, in.Text, before.Step)
			}
		}
	})
}

// FuzzNameAnswer feeds the name parser, and the dialog's name step behind it,
// whatever a citizen might type as their name. The parser never panics and
// returns a piece of what was typed without surrounding spaces (punctuation
// behind a space may stay: "!\t!0" reads as "!0", which the dialog then
// refuses as not a name); the dialog always answers and never repeats a long number
// (a phone or ID number typed where the name belongs).
func FuzzNameAnswer(f *testing.F) {
	for _, s := range []string{"王桂香", "我叫 王桂香。", "叫我老王就行", "１３８ １２３４ ５６７８", "370102196107151239",
		"123", "", "  ", "。。。", "王", "就行", "我叫", strings.Repeat("名", 30), "跳过", "不方便说"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		name := nameAnswer(typed)
		if !strings.Contains(fold(typed), name) {
			t.Fatalf("nameAnswer(%q) = %q, not part of what was typed", typed, name)
		}
		if name != strings.TrimSpace(name) {
			t.Fatalf("nameAnswer(%q) = %q, with spaces around it", typed, name)
		}
		if len(typed) > 4096 {
			return // a kf text message holds 2048 bytes
		}
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		e := New(Config{Now: func() time.Time { return now }})
		store, desk := newMemSessions(), newFakeDesk()
		for i, text := range []string{"1", "本人", typed} {
			now = now.Add(time.Minute)
			in := Incoming{MsgID: fmt.Sprint("m", i), OpenKfID: "kf1", ExternalUserID: "u", Kind: KindText, Text: text, At: now}
			res, err := e.Handle(context.Background(), store, desk, in)
			if err != nil {
				t.Fatalf("message %d (%q): %v", i, text, err)
			}
			if len(res.Replies) == 0 {
				t.Fatalf("message %d (%q): no reply", i, text)
			}
			if i < 2 {
				continue
			}
			for _, number := range reLongNumber.FindAllString(fold(typed), -1) {
				digits := strings.Map(func(r rune) rune {
					if r >= '0' && r <= '9' || r == 'X' || r == 'x' {
						return r
					}
					return -1
				}, number)
				for _, m := range res.Replies {
					if len(digits) >= 7 && strings.Contains(strings.Map(func(r rune) rune {
						if r == ' ' || r == '-' {
							return -1
						}
						return r
					}, m.Text), digits) {
						t.Fatalf("the reply to the name %q repeats %s: %q", typed, digits, m.Text)
					}
				}
			}
		}
	})
}
