package bot

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The ids below are literal on purpose: they are what citizens' chats
// hold from menus sent by earlier releases, and must read the same.
func TestStepItemIDs(t *testing.T) {
	for _, tc := range []struct {
		id   string
		item StepItem
	}{
		{"menu:1", StepItem{Step: stepMenu, N: 1}},
		{"menu:5", StepItem{Step: stepMenu, N: 5}},
		{"who:3", StepItem{Step: stepWho, N: 3}},
		{"self_name:1", StepItem{Step: stepSelfName, N: 1}},
		{"phone_whose:2", StepItem{Step: stepPhoneWhose, N: 2}},
		{"supp_pick:12", StepItem{Step: stepSuppPick, N: 12}},
		{"rate_why:1", StepItem{Step: stepRateWhy, N: 1}},
		{"held_new:2", StepItem{Step: stepHeldNew, N: 2}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			got, ok := ParseStepItem(tc.id)
			if !ok {
				t.Fatalf("ParseStepItem(%q) not ok", tc.id)
			}
			if diff := cmp.Diff(tc.item, got); diff != "" {
				t.Errorf("ParseStepItem(%q) (-want +got):\n%s", tc.id, diff)
			}
			if id := tc.item.ID(); id != tc.id {
				t.Errorf("%+v.ID() = %q, want %q", tc.item, id, tc.id)
			}
		})
	}
}

func TestStepItemOtherIDs(t *testing.T) {
	for _, id := range []string{
		"",
		"menu",
		":1",
		"menu:",
		"menu:0",
		"menu:-1",
		"menu:x",
		"menu:1:2",
		"followup:5",          // the follow-up menu's older form
		"rate:BC2611280001:5", // the follow-up menu
		"rate:BC2611280001:0",
	} {
		if it, ok := ParseStepItem(id); ok {
			t.Errorf("ParseStepItem(%q) = %+v, want not ok", id, it)
		}
	}
}

// TestMenusKeepTheirIDs checks the ids of the menus the dialog sends today
// against their literal form.
func TestMenusKeepTheirIDs(t *testing.T) {
	c := newConversation(t, newFakeDesk())
	ids := func() []string {
		var ids []string
		for _, m := range c.last.Replies {
			for _, it := range m.Menu {
				ids = append(ids, it.ID)
			}
		}
		return ids
	}
	c.play("我：你好")
	if diff := cmp.Diff([]string{"menu:1", "menu:2", "menu:3", "menu:4", "menu:5"}, ids()); diff != "" {
		t.Errorf("main menu ids (-want +got):\n%s", diff)
	}
	c.play("我：1")
	if diff := cmp.Diff([]string{"who:1", "who:2", "who:3", "who:4"}, ids()); diff != "" {
		t.Errorf("who menu ids (-want +got):\n%s", diff)
	}
	c.play("我：1")
	if diff := cmp.Diff([]string{"self_name:1"}, ids()); diff != "" {
		t.Errorf("one-tap answer ids (-want +got):\n%s", diff)
	}
}

// TestYesterdaysMenuTappedToday taps, after a day and a restart, items of
// menus as earlier releases sent them.
func TestYesterdaysMenuTappedToday(t *testing.T) {
	c := newConversation(t, newFakeDesk())
	c.play(`
		我：你好
		办：[1. 反映问题]
		（过了1天）
		（重启）
		我：[点 menu:1]
		办：这件事是谁遇到的？
		我：[点 who:1]
		办：请问您的姓名？
		我：[点 self_name:1]
		办：身份证号码
		我：[点 menu:5]
		办：[转人工]`)
}
