package intake

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// While a servicer has the chat, what they and the citizen write goes on
// the citizen's open case through the desk, and the bot keeps quiet: no
// reply is queued, and the citizen's messages (two quick ones, handled
// together) still open their window, one each.
func TestChatWithAServicerGoesOnTheCase(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			repo := open(t)
			ctx := context.Background()
			now := time.Now()
			num, err := repo.NextNumber(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			c := &cases.Case{Number: num, OpenKfID: "wkSANDBOX001", ReporterID: "u1", Status: cases.StatusInProgress, Category: "pension", CreatedAt: now, UpdatedAt: now}
			if err := repo.CreateCase(ctx, c); err != nil {
				t.Fatal(err)
			}
			if err := repo.SaveContact(ctx, &cases.Contact{OpenKfID: "wkSANDBOX001", ExternalUserID: "u1", LastInboundAt: now.Add(-time.Hour).UTC(), InboundSeq: 3, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			api := &fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{
				servicerText("s1", "u1", "zhangsan", "档案调出来了", now.Unix()),
				text("m1", "u1", "好的，谢谢", now.Unix()),
				text("m2", "u1", "还有一件事", now.Unix()),
			}}}}
			in := newIntake(t, repo, api)
			if err := in.sync(ctx, "wkSANDBOX001", "tok"); err != nil {
				t.Fatal(err)
			}
			if err := in.handlePending(ctx); err != nil {
				t.Fatal(err)
			}

			timeline, err := repo.Timeline(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			type line struct {
				Actor cases.Actor
				Kind  cases.EventKind
				Body  string
			}
			var got []line
			for _, e := range timeline {
				got = append(got, line{e.Actor, e.Kind, e.Body})
			}
			want := []line{
				{"staff:zhangsan", cases.EventServicerMsg, "档案调出来了"},
				{"citizen:u1", cases.EventMessageIn, "好的，谢谢"},
				{"citizen:u1", cases.EventMessageIn, "还有一件事"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("timeline (-want +got):\n%s", diff)
			}
			if due, err := repo.DueOutbox(ctx, now.Add(time.Hour), 10); err != nil || len(due) != 0 {
				t.Errorf("queued to the citizen while a servicer has the chat: %d, %v; want none", len(due), err)
			}
			contact, err := repo.GetContact(ctx, "wkSANDBOX001", "u1")
			if err != nil {
				t.Fatal(err)
			}
			if contact.ServiceState != cases.StateHuman || contact.InboundSeq != 5 || contact.SentInWindow != 0 {
				t.Errorf("contact: state %d, message number %d, sent %d; want %d, 5, 0", contact.ServiceState, contact.InboundSeq, contact.SentInWindow, cases.StateHuman)
			}
		})
	}
}

// While a servicer has the chat, what either side sends that is not text
// reads on the case as the product's word for its kind; a kind the product
// does not know reads as 其他消息.
func TestChatOtherKindsGoOnTheCase(t *testing.T) {
	repo := storagetest.SQLite(t)
	ctx := context.Background()
	now := time.Now()
	c := &cases.Case{Number: "BC2611300001", OpenKfID: "wkSANDBOX001", ReporterID: "u1", Status: cases.StatusInProgress, Category: "pension", CreatedAt: now, UpdatedAt: now}
	if err := repo.CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := repo.SaveContact(ctx, &cases.Contact{OpenKfID: "wkSANDBOX001", ExternalUserID: "u1", LastInboundAt: now.Add(-time.Hour).UTC(), InboundSeq: 3, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	at := now.Unix()
	api := &fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{
		servicerText("s1", "u1", "zhangsan", "请把社保卡的位置发我", at),
		kfMessage("m1", "u1", at, "location", map[string]any{"latitude": 39.9, "longitude": 116.4, "name": "某某社区"}, nil),
		kfMessage("m2", "u1", at, "link", map[string]any{"title": "通知", "url": "https://example.org/a"}, nil),
		kfMessage("m3", "u1", at, "channels_shop_product", map[string]any{"product_id": "p1"}, nil),
		kfMessage("s2", "u1", at, "image", map[string]string{"media_id": "s/1"}, map[string]any{"origin": 5, "servicer_userid": "zhangsan"}),
	}}}}
	pullAndHandle(t, newIntake(t, repo, api), "tok")
	timeline, err := repo.Timeline(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range timeline {
		got = append(got, string(e.Actor)+" "+e.Body)
	}
	want := []string{"staff:zhangsan 请把社保卡的位置发我", "citizen:u1 [位置]", "citizen:u1 [链接]", "citizen:u1 [其他消息]", "staff:zhangsan [照片]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}
