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

// wantRatings checks the answers the desk received and the cases' statuses.
func wantRatings(want []rated, statuses map[string]cases.Status) func(*testing.T, *fakeDesk) {
	return func(t *testing.T, d *fakeDesk) {
		t.Helper()
		if diff := cmp.Diff(want, d.ratings); diff != "" {
			t.Errorf("ratings (-want +got):\n%s", diff)
		}
		if statuses == nil {
			return
		}
		got := map[string]cases.Status{}
		for number := range statuses {
			for _, s := range d.cases {
				if s.Case.Number == number {
					got[number] = s.Case.Status
				}
			}
		}
		if diff := cmp.Diff(statuses, got); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
	}
}

// mine is a resolved case the citizen reported for themselves.
func mine(d *fakeDesk) { d.resolved("wm_citizen", "pension", "", "本人") }

// followUpConversations answer the follow-up (回访) of resolved cases.
var followUpConversations = []transcriptCase{
	{
		name: "follow-up: satisfied, typed as a digit",
		seed: mine,
		script: `
			（BC2611280001 回访）
			我：2
			办：谢谢您的评价（满意）
			办不含：？`,
		check: wantRatings([]rated{{Number: "BC2611280001", Rating: 2, Solved: true}},
			map[string]cases.Status{"BC2611280001": cases.StatusClosed}),
	},
	{
		name: "follow-up: satisfied, tapped, and a Chinese numeral",
		seed: func(d *fakeDesk) { mine(d); mine(d) },
		script: `
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:1]
			办：谢谢您的评价（非常满意）
			（BC2611280002 回访）
			我：三
			办：谢谢您的评价（基本满意）`,
		check: wantRatings([]rated{{Number: "BC2611280001", Rating: 1, Solved: true}, {Number: "BC2611280002", Rating: 3, Solved: true}},
			map[string]cases.Status{"BC2611280001": cases.StatusClosed, "BC2611280002": cases.StatusClosed}),
	},
	{
		name: "follow-up: dissatisfied, asked why, reopened with the reason",
		seed: mine,
		script: `
			（BC2611280001 回访）
			我：不满意
			办：请说说哪里让您不满意？
			办：[不想说，跳过]
			我：说好一个月到账，现在还没到，打电话也没人接
			办：已重新办理`,
		check: wantRatings([]rated{{Number: "BC2611280001", Rating: 4, Solved: true, Why: "说好一个月到账，现在还没到，打电话也没人接"}},
			map[string]cases.Status{"BC2611280001": cases.StatusInProgress}),
	},
	{
		name: "follow-up: 非常不满意 tapped, the reason skipped",
		seed: mine,
		script: `
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:5]
			办：请说说哪里让您不满意？
			我：[点 rate_why:1]
			办：已重新办理`,
		check: wantRatings([]rated{{Number: "BC2611280001", Rating: 5, Solved: true}},
			map[string]cases.Status{"BC2611280001": cases.StatusInProgress}),
	},
	{
		name: "follow-up: 没解决 with the reason said at once, then 没解决 and the reason skipped",
		seed: func(d *fakeDesk) { mine(d); mine(d) },
		script: `
			我：没解决，档案还是没找到
			办：收到：问题没解决。
			办：您说的是哪一件？
			我：第二个
			办：BC2611280001）已重新办理
			办不含：请说说
			我：还没解决
			办：请说说哪里还没解决？
			我：跳过
			办：BC2611280002）已重新办理`,
		check: wantRatings([]rated{
			{Number: "BC2611280001", Why: "没解决，档案还是没找到"},
			{Number: "BC2611280002"},
		}, map[string]cases.Status{"BC2611280001": cases.StatusInProgress, "BC2611280002": cases.StatusInProgress}),
	},
	{
		name: "follow-up: the reason told by voice goes to the case",
		seed: mine,
		script: `
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:0]
			办：请说说哪里还没解决？
			我：[语音]
			办：已重新办理`,
		check: func(t *testing.T, d *fakeDesk) {
			wantRatings([]rated{{Number: "BC2611280001", Why: "（见语音）"}}, map[string]cases.Status{"BC2611280001": cases.StatusInProgress})(t, d)
			if diff := cmp.Diff([]supplemented{{Number: "BC2611280001", AttKind: KindVoice}}, d.supplements); diff != "" {
				t.Errorf("supplements (-want +got):\n%s", diff)
			}
		},
	},
	{
		name: "follow-up: a neighbour is asked on the affected person's behalf",
		seed: func(d *fakeDesk) { d.resolved("wm_citizen", "transfer", "王大爷", "邻居") },
		script: `
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:0]
			办：请说说王大爷的问题哪里还没解决？
			我：他说钱还是只发了一半
			办：已重新办理
			（BC2611280001 办结了）
			我：不满意
			办：请问您要办什么？`,
		check: wantRatings([]rated{{Number: "BC2611280001", Why: "他说钱还是只发了一半"}},
			map[string]cases.Status{"BC2611280001": cases.StatusClosed}),
	},
	{
		name: "follow-up: two cases wait, so the citizen is asked which",
		seed: func(d *fakeDesk) {
			mine(d)
			d.resolved("wm_citizen", "archive", "陈桂兰", "母亲")
		},
		script: `
			我：满意
			办：收到：满意。
			办：有2件事在等您评价
			办：[1. BC2611280002 档案问题（陈桂兰）]
			办：[2. BC2611280001 养老保险]
			我：0001
			办：谢谢您的评价（满意）
			我：5
			办：请说说陈桂兰的事哪里办得不满意？
			我：上一步
			办：这次先不评价
			我：非常不满意
			办不含：哪一件
			我：档案馆说不归他们管
			办：BC2611280002）已重新办理`,
		check: wantRatings([]rated{
			{Number: "BC2611280001", Rating: 2, Solved: true},
			{Number: "BC2611280002", Rating: 5, Solved: true, Why: "档案馆说不归他们管"},
		}, map[string]cases.Status{"BC2611280001": cases.StatusClosed, "BC2611280002": cases.StatusInProgress}),
	},
	{
		name: "follow-up: tapped in the middle of a report, the draft stays",
		seed: func(d *fakeDesk) { mine(d); mine(d) },
		script: `
			我：反映问题
			我：本人
			办：请问您的姓名？
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:2]
			办：谢谢您的评价（满意）
			办：您正在填的内容还在
			办：请问您的姓名？
			我：蒋玉梅
			办：请发您的身份证号码
			我：不知道
			我：13812345678
			（BC2611280002 回访）
			我：[点 rate:BC2611280002:4]
			办：请说说哪里让您不满意？
			我：窗口态度不好
			办：已重新办理
			办：您正在填的内容还在
			办：这件事属于哪一类？
			我：3
			我：没有
			我：退休手续办不下来
			我：说完了
			办：电话：138****5678
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "蒋玉梅", Affected: cases.Person{Name: "蒋玉梅", Phone: "13812345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13812345678", Category: "retire", TriedWindow: "没有", Description: "退休手续办不下来",
		})},
		check: wantRatings([]rated{
			{Number: "BC2611280001", Rating: 2, Solved: true},
			{Number: "BC2611280002", Rating: 4, Solved: true, Why: "窗口态度不好"},
		}, nil),
	},
	{
		name: "follow-up: a typed digit in the middle of a report stays an answer",
		seed: mine,
		script: `
			我：反映问题
			办：这件事是谁遇到的？
			我：2
			办：请问遇到这件事的人叫什么名字？
			我：刘明
			我：父亲
			办：刘明知道您来反映
			我：1
			办：怎么称呼您？
			我：2
			办：这里请写名字或称呼
			我：小刘
			办：请发刘明的身份证号码`,
		check: wantRatings(nil, map[string]cases.Status{"BC2611280001": cases.StatusResolved}),
	},
	{
		name: "follow-up: a digit right after the main menu picks from the menu",
		seed: mine,
		script: `
			我：你好
			办：请问您要办什么？
			我：1
			办：这件事是谁遇到的？`,
		check: wantRatings(nil, map[string]cases.Status{"BC2611280001": cases.StatusResolved}),
	},
	{
		name: "follow-up: no case waits, so digits and words mean what they did",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusSubmitted) },
		script: `
			我：满意
			办：没太明白您的意思
			我：2
			办：BC2611280001（养老保险）
			我：[点 followup:2]
			办：现在没有等您评价的事`,
		check: wantRatings(nil, nil),
	},
	{
		name: "follow-up: 取消 while asked why records nothing; old menus of a closed, then reopened case",
		seed: mine,
		script: `
			（BC2611280001 回访）
			我：没解决
			我：取消
			办：这次先不评价
			我：[点 rate:BC2611280001:1]
			办：谢谢您的评价（非常满意）
			我：[点 rate:BC2611280001:2]
			办：这件事已经办结或撤回了
			我：[点 rate:BC2611280001:0]
			办：请说说哪里还没解决？
			我：又停发了
			办：已重新办理
			我：[点 rate:BC2611280001:1]
			办：BC2611280001 还在办理中
			我：[点 rate:BC2611280001:5]
			我：还是没人管
			办：BC2611280001 还在办理中`,
		check: func(t *testing.T, d *fakeDesk) {
			wantRatings([]rated{{Number: "BC2611280001", Rating: 1, Solved: true}, {Number: "BC2611280001", Why: "又停发了"}},
				map[string]cases.Status{"BC2611280001": cases.StatusInProgress})(t, d)
			if diff := cmp.Diff([]supplemented{{Number: "BC2611280001", Text: "还是没人管"}}, d.supplements); diff != "" {
				t.Errorf("what was said reaches the case being handled again (-want +got):\n%s", diff)
			}
		},
	},
	{
		name: "follow-up: a happy word instead of a reason changes the answer",
		seed: mine,
		script: `
			（BC2611280001 回访）
			我：5
			办：哪里让您不满意？
			我：我很满意啊
			办：谢谢您的评价（非常满意）`,
		check: wantRatings([]rated{{Number: "BC2611280001", Rating: 1, Solved: true}},
			map[string]cases.Status{"BC2611280001": cases.StatusClosed}),
	},
	{
		name: "follow-up: the reason a day later still counts; the desk's older menu ids too",
		seed: mine,
		script: `
			我：[点 followup:6]
			办：请说说哪里还没解决？
			（过了1天）
			我：社保中心还是说要等省里的数据
			办：已重新办理`,
		check: wantRatings([]rated{{Number: "BC2611280001", Why: "社保中心还是说要等省里的数据"}},
			map[string]cases.Status{"BC2611280001": cases.StatusInProgress}),
	},
}

func TestParseRating(t *testing.T) {
	tests := []struct {
		in   string
		want rateAnswer
		ok   bool
	}{
		{"1", rateAnswer{rating: 1, solved: true, digit: true}, true},
		{"５", rateAnswer{rating: 5, solved: true, digit: true}, true},
		{"二", rateAnswer{rating: 2, solved: true, digit: true}, true},
		{"第三个", rateAnswer{rating: 3, solved: true, digit: true}, true},
		{"6", rateAnswer{digit: true}, true},
		{"7", rateAnswer{}, false},
		{"满意", rateAnswer{rating: 2, solved: true}, true},
		{"非常满意！", rateAnswer{rating: 1, solved: true}, true},
		{"非常满意，谢谢你们", rateAnswer{rating: 1, solved: true}, true},
		{"基本满意", rateAnswer{rating: 3, solved: true}, true},
		{"不满意", rateAnswer{rating: 4, solved: true}, true},
		{"非常不满意", rateAnswer{rating: 5, solved: true}, true},
		{"4 不满意", rateAnswer{rating: 4, solved: true}, true},
		{"不满意，等了三个月", rateAnswer{rating: 4, solved: true, why: "不满意，等了三个月"}, true},
		{"没解决", rateAnswer{}, true},
		{"问题还没解决。", rateAnswer{}, true},
		{"还没解决，钱没到", rateAnswer{why: "还没解决，钱没到"}, true},
		{"满意度调查是什么意思啊我看不懂", rateAnswer{}, false},
		{"一般来说这种事要多久才能办好", rateAnswer{}, false},
		{"0001", rateAnswer{}, false},
		{"我的养老金停了", rateAnswer{}, false},
		{"", rateAnswer{}, false},
	}
	for _, tc := range tests {
		got, ok := parseRating(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseRating(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseRateTap(t *testing.T) {
	tests := []struct {
		id     string
		number string
		want   rateAnswer
		ok     bool
	}{
		{"rate:BC2611280001:2", "BC2611280001", rateAnswer{rating: 2, solved: true}, true},
		{"rate:BC2611280001:0", "BC2611280001", rateAnswer{}, true},
		{"rate:BC2611280001:6", "", rateAnswer{}, false},
		{"rate::3", "", rateAnswer{}, false},
		{"rate:3", "", rateAnswer{}, false},
		{"followup:5", "", rateAnswer{rating: 5, solved: true}, true},
		{"followup:6", "", rateAnswer{}, true},
		{"followup:x", "", rateAnswer{}, false},
	}
	for _, tc := range tests {
		number, got, ok := parseRateTap(tc.id)
		if number != tc.number || got != tc.want || ok != tc.ok {
			t.Errorf("parseRateTap(%q) = %q, %+v, %v; want %q, %+v, %v", tc.id, number, got, ok, tc.number, tc.want, tc.ok)
		}
	}
}

func TestRatingFailureIsRetried(t *testing.T) {
	for _, failing := range []string{"满意", "钱还是没到"} {
		t.Run(failing, func(t *testing.T) {
			desk := newFakeDesk()
			mine(desk)
			c := newConversation(t, desk)
			if failing != "满意" {
				c.play("我：[点 rate:BC2611280001:0]\n办：哪里还没解决")
			}
			key := SessionKey("kf1", "wm_citizen")
			before := bytes.Clone(c.store.m[key])
			desk.failNext = errors.New("database is down")
			_, err := c.engine.Handle(context.Background(), c.store, desk, Incoming{
				OpenKfID: "kf1", ExternalUserID: "wm_citizen", Kind: KindText, Text: failing, At: c.now.Add(time.Minute),
			})
			if err == nil || !strings.Contains(err.Error(), "database is down") {
				t.Fatalf("Handle error = %v, want the desk's error wrapped", err)
			}
			if !bytes.Equal(before, c.store.m[key]) || len(desk.ratings) != 0 {
				t.Fatalf("a failed message changed the session or rated")
			}
			want := "已重新办理"
			if failing == "满意" {
				want = "谢谢您的评价（满意）"
			}
			c.play("我：" + failing + "\n办：" + want)
		})
	}
}
