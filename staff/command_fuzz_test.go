package staff

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseCommand feeds the staff command parser whatever staff might type.
// It never panics; a refusal is one non-empty line; an accepted command names
// its verb, has a case when its verb needs one, keeps free text exactly as
// typed (a substring of the input) and stays within the limits; and the same
// line always parses the same way.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"受理 0007", "0007受理", "０００７　受理", "派单 0007 社保中心 协办 档案馆、就业", "协办 0007 档案馆",
		"延期 0007 5 等待外省回函", "延期 0007 ５天 等", "退单 0007 不属于本部门", "办结：0007 已为您办好",
		"回复 0007 请带身份证来", "补充 0007 请提供原单位证明", "追责 0007 社保中心3号窗口 本可当场办理",
		"共性 0007 跨省转移", "并案 0008 并入 0007", "并案 0007 0007", "回访 0007 2 满意", "回访 0007 非常不满意",
		"查 BC2611280007", "0007", "我的", "超期", "今天", "帮助", "", "   ", "重办 0007 没解决", "结案 0007",
		"备注 0007 " + strings.Repeat("长", 700), "回复 0007 " + strings.Repeat("字", 601),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmd, err := ParseCommand(s)
		again, err2 := ParseCommand(s)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ParseCommand(%q) not deterministic: %v, then %v", s, err, err2)
		}
		if diff := cmp.Diff(cmd, again); diff != "" {
			t.Fatalf("ParseCommand(%q) not deterministic (-first +second):\n%s", s, diff)
		}
		if err != nil {
			var ce *CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseCommand(%q) = %v, not a *CommandError", s, err)
			}
			if msg := ce.Text(); strings.TrimSpace(msg) == "" || !utf8.ValidString(msg) {
				t.Fatalf("ParseCommand(%q): empty or broken refusal %q", s, msg)
			}
			return
		}
		if cmd.Verb == "" {
			t.Fatalf("ParseCommand(%q) = %+v without a verb", s, cmd)
		}
		spec := specOf(cmd.Verb)
		if spec == nil {
			t.Fatalf("ParseCommand(%q) = unknown verb %q", s, cmd.Verb)
		}
		if spec.needsCase() && cmd.CaseRef == "" {
			t.Fatalf("ParseCommand(%q) = %+v without a case", s, cmd)
		}
		// Invalid UTF-8 (which WeCom's XML cannot carry) reads as U+FFFD.
		if cmd.Text != "" && !strings.Contains(string([]rune(s)), cmd.Text) {
			t.Fatalf("ParseCommand(%q) changed the free text to %q", s, cmd.Text)
		}
		if spec.args == argRelayed && utf8.RuneCountInString(cmd.Text) > MaxRelayedRunes {
			t.Fatalf("ParseCommand(%q) relays %d runes", s, utf8.RuneCountInString(cmd.Text))
		}
		if cmd.Days < 0 || cmd.Days > MaxExtendDays || cmd.Rating < 0 || cmd.Rating > 5 {
			t.Fatalf("ParseCommand(%q) = days %d, rating %d", s, cmd.Days, cmd.Rating)
		}
		if cmd.Target != "" && cmd.Target == cmd.CaseRef && cmd.Verb == specOf("并案").verb {
			t.Fatalf("ParseCommand(%q) merges a case into itself", s)
		}
	})
}

// FuzzResolveRef checks that a case reference resolves only to one of the
// candidates, and to the one that ends in what was typed.
func FuzzResolveRef(f *testing.F) {
	f.Add("0007", "BC2611280007 BC2611270007 BC2611280017")
	f.Add("bc2611280007", "BC2611280007")
	f.Add("#7号", "BC2611280007")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, ref, list string) {
		candidates := strings.Fields(list)
		got, err := ResolveRef(ref, candidates)
		if err != nil {
			var le *LookupError
			var ce *CommandError
			switch {
			case errors.As(err, &le):
				if strings.TrimSpace(le.Text()) == "" {
					t.Fatalf("ResolveRef(%q): empty refusal", ref)
				}
			case errors.As(err, &ce):
				if ce.Reason != CommandNeedCase {
					t.Fatalf("ResolveRef(%q) = %v", ref, err)
				}
			default:
				t.Fatalf("ResolveRef(%q) = %v, not a typed refusal", ref, err)
			}
			return
		}
		found := false
		for _, c := range candidates {
			found = found || c == got
		}
		if !found {
			t.Fatalf("ResolveRef(%q, %q) = %q, not a candidate", ref, candidates, got)
		}
	})
}
