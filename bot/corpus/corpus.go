// Package corpus runs the dialog's conversation corpus: people of the kinds
// the window serves (a daughter writing for her mother, a neighbour for a sick
// man, an old man typing slowly), each with the case their conversation must
// produce. A conversation is not a fixed script: the citizen reads each
// question the bot asks and answers it from what they know, in their own
// words, so the same corpus measures any version of the dialog.
//
// The corpus lives in bot/testdata/corpus/*.txt; see Parse for the format.
// cmd/bcs-dialog prints its figures and the corpus test holds the goals.
package corpus

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Conversation is one person's conversation with the window.
type Conversation struct {
	// Title says who is writing and about what; File and Line where it is.
	Title, File string
	Line        int
	// Seed is what the bureau knows before the conversation starts, such as
	// "回访 pension": a resolved case of category pension awaits the
	// citizen's follow-up answer.
	Seed []string
	// Opening are the messages the citizen sends before reading any question.
	Opening []string
	// Later are messages the citizen sends, in order, whenever the bot has
	// no question for them (after an answer, a reopening, a case list).
	Later []string
	// Answers are what the citizen answers to each kind of question, in the
	// order they would try them when asked again.
	Answers map[string][]string
	// Want is the outcome the conversation must have.
	Want Outcome
	// Standard marks a standard report whose first message tells the
	// story: "本人" (the writer's own matter, at most 8 messages) or
	// "代办" (for somebody else, at most 10).
	Standard string
}

// Outcome is what a conversation must leave behind.
type Outcome struct {
	// Fields of the case submitted, by the keys of fieldKeys; a key not
	// listed must be empty on the case.
	Fields map[string]string
	// DescHas are words the case's description must contain; DescLacks
	// words it must not (an answer to another question is no part of it).
	DescHas, DescLacks []string
	// Atts is the number of files the case must carry.
	Atts int
	// Handover means the chat must end with a person, no case submitted.
	Handover bool
	// Supplement is words that must reach the seeded case as a supplement,
	// with no new case submitted.
	Supplement string
}

// fieldKeys are the case fields a conversation checks.
var fieldKeys = []string{"姓名", "关系", "同意", "称呼", "身份证", "电话", "类别", "窗口", "时间", "答复"}

// Slots: the kinds of question the citizen recognises, as keys of Answers.
var slots = []string{"谁", "姓名", "关系", "同意", "称呼", "身份证", "电话归属", "电话", "类别", "窗口", "时间", "答复",
	"描述", "还有", "确认", "修改", "接着", "补充到", "为什么", "菜单"}

// defaults are the answers of a citizen who has nothing more to say.
var defaults = map[string][]string{
	"还有":  {"说完了"},
	"确认":  {"确认"},
	"接着":  {"接着填"},
	"补充到": {"是的"},
	"菜单":  {"反映问题"},
}

// LoadDir reads every *.txt corpus file in dir, in name order.
func LoadDir(dir string) ([]Conversation, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no corpus files (*.txt) in %s", dir)
	}
	slices.Sort(files)
	var out []Conversation
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		convs, err := Parse(filepath.Base(f), r)
		r.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, convs...)
	}
	return out, nil
}

// Parse reads one corpus file:
//
//	## title                      starts a conversation
//	前情：回访 pension             the bureau's state before it (see Conversation.Seed)
//	标准：本人                     a standard report, story first (see Conversation.Standard)
//	说：text                       a message sent before reading any question
//	再说：text                     a message sent when the bot asks nothing
//	谁：我妈 | 2                   the answers to a kind of question, tried in turn
//	= 姓名：王秀兰                 a field of the case it must produce
//	= 本人：刘振华                 self-report: 姓名 and 称呼 刘振华, 关系 and 同意 本人
//	= 描述含：养老金               words the description must contain
//	= 描述不含：身份证             words it must not contain
//	= 附件：2                      how many files the case carries
//	= 转人工                       ends with a person, no case
//	= 补充：words                  words supplemented to the seeded case, no new case
//	# comment
//
// Message texts "[语音]", "[照片]" and "[文件]" send a file of that kind.
func Parse(name string, r io.Reader) ([]Conversation, error) {
	var out []Conversation
	sc := bufio.NewScanner(r)
	n := 0
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, a...))
	}
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "# ") || line == "#" {
			continue
		}
		if title, ok := strings.CutPrefix(line, "## "); ok {
			out = append(out, Conversation{Title: strings.TrimSpace(title), File: name, Line: n,
				Answers: map[string][]string{}, Want: Outcome{Fields: map[string]string{}}})
			continue
		}
		if len(out) == 0 {
			return nil, bad("a line before the first conversation (## title)")
		}
		c := &out[len(out)-1]
		if want, ok := strings.CutPrefix(line, "="); ok {
			if err := c.Want.add(strings.TrimSpace(want)); err != nil {
				return nil, bad("%v", err)
			}
			continue
		}
		key, val, ok := strings.Cut(line, "：")
		if !ok {
			return nil, bad("not a corpus line: %q", line)
		}
		switch {
		case key == "前情":
			c.Seed = append(c.Seed, val)
		case key == "说":
			c.Opening = append(c.Opening, val)
		case key == "标准":
			if val != "本人" && val != "代办" {
				return nil, bad("标准 is 本人 or 代办, not %q", val)
			}
			c.Standard = val
		case key == "再说":
			c.Later = append(c.Later, val)
		case slices.Contains(slots, key):
			for _, a := range strings.Split(val, " | ") {
				c.Answers[key] = append(c.Answers[key], strings.TrimSpace(a))
			}
		default:
			return nil, bad("unknown kind of question %q", key)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, c := range out {
		if len(c.Want.Fields) == 0 && !c.Want.Handover && c.Want.Supplement == "" {
			return nil, fmt.Errorf("%s:%d: conversation %q says nothing about the case it must produce", name, c.Line, c.Title)
		}
	}
	return out, nil
}

func (o *Outcome) add(line string) error {
	if line == "转人工" {
		o.Handover = true
		return nil
	}
	key, val, ok := strings.Cut(line, "：")
	if !ok {
		return fmt.Errorf("not an outcome: %q", line)
	}
	val = strings.TrimSpace(val)
	switch {
	case key == "本人":
		o.Fields["姓名"], o.Fields["称呼"], o.Fields["关系"], o.Fields["同意"] = val, val, "本人", "本人"
	case key == "描述含":
		o.DescHas = append(o.DescHas, val)
	case key == "描述不含":
		o.DescLacks = append(o.DescLacks, val)
	case key == "附件":
		if _, err := fmt.Sscanf(val, "%d", &o.Atts); err != nil {
			return fmt.Errorf("附件 wants a number, got %q", val)
		}
	case key == "补充":
		o.Supplement = val
	case slices.Contains(fieldKeys, key):
		o.Fields[key] = val
	default:
		return fmt.Errorf("unknown case field %q", key)
	}
	return nil
}
