package notify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// While WeCom pauses kf/send_msg (45009) and more citizens' messages are due
// than one page holds, staff messages, sent through another API
// (message/send), still go out: the citizens' messages keep their place in
// the queue without crowding out what does not wait for them.
func TestStaffMessagesGoOutWhileKfSendsArePaused(t *testing.T) {
	api := &weCom{fail: func(int, cases.Message) (bool, error) {
		return false, &wecom.APIError{Code: wecom.CodeFreqLimit, Msg: "api freq out of limit", Path: "/cgi-bin/kf/send_msg"}
	}}
	f := effectsFixture(t, storagetest.SQLite(t), api)
	ctx := context.Background()
	queued := f.now
	f.now = f.now.Add(-time.Minute)
	for i := range 600 {
		user := fmt.Sprintf("wm%03d", i)
		f.contact(t, user, f.now, 0)
		f.enqueue(t, 0, user, "您好", cases.PriorityNormal)
	}
	f.now = queued
	staff := &cases.OutboxMessage{Channel: cases.ChannelApp, Recipient: "zhangsan", Message: cases.Message{Text: "新工单"},
		Priority: cases.PriorityNormal, CreatedAt: f.now}
	if err := f.db.Enqueue(ctx, staff); err != nil {
		t.Fatal(err)
	}
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"zhangsan: 新工单"}, f.api.app); diff != "" {
		t.Errorf("staff messages sent while kf sends are paused (-want +got):\n%s", diff)
	}
	due, err := f.db.DueOutbox(ctx, f.now, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 600 {
		t.Errorf("%d messages due after the flush, want the 600 citizens' still waiting", len(due))
	}
}
