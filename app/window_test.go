package app

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Five messages from one citizen at once (several photos forwarded, quick
// lines typed): each opens WeCom's window again, however close together
// they come, so each gets its reply and nothing is held "for the answer".
func TestFiveMessagesAtOnceAllAnswered(t *testing.T) {
	for _, b := range []backend{onSQLite, onMySQLRedis} {
		t.Run(fmt.Sprint(b), func(t *testing.T) {
			p := startProductWith(t, b, Options{WorkerInterval: 20 * time.Millisecond})
			ctx := context.Background()
			const citizens = 4
			var wg sync.WaitGroup
			for c := range citizens {
				user := fmt.Sprintf("wmFive%02d", c)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 5 {
						if _, err := p.sb.CitizenSays(ctx, user, fmt.Sprintf("在吗 %d", i+1)); err != nil {
							t.Errorf("%s says: %v", user, err)
						}
					}
				}()
			}
			wg.Wait()
			answered := func() bool {
				for c := range citizens {
					if len(p.botLines(fmt.Sprintf("wmFive%02d", c))) < 5 {
						return false
					}
				}
				return true
			}
			if !waitUntil(answered) {
				t.Errorf("not every citizen got five replies within %s", waitLimit)
			}
			replies := 0
			for c := range citizens {
				user := fmt.Sprintf("wmFive%02d", c)
				got := len(p.botLines(user))
				replies += got
				if got < 5 {
					t.Errorf("%s: %d replies to 5 messages\n%s", user, got, chatText(p.sb.Chat(user)))
				}
				for _, l := range p.sb.Chat(user) {
					if l.From == "bot" && l.ErrCode != 0 {
						t.Errorf("%s: a reply refused by WeCom (errcode %d)", user, l.ErrCode)
					}
				}
			}
			// Nothing is held for the citizens to write again, nor waits to
			// be tried again: every fate the product records is "sent", one
			// for each reply they read.
			const sent = `bcs_notifications_total{channel="kf",fate="sent"}`
			if !waitUntil(func() bool { return p.metric(sent) >= float64(replies) }) {
				t.Errorf("%v replies counted sent, %d read", p.metric(sent), replies)
			}
			if fates := p.kfFates(); fates != p.metric(sent) || fates != float64(replies) {
				t.Errorf("%d replies read; fates of messages to citizens:\n%s", replies, p.counted())
			}
		})
	}
}
