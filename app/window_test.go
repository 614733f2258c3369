package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"banchengshi/cases"
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
			wait, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			answered := func() bool {
				for c := range citizens {
					if len(p.botLines(fmt.Sprintf("wmFive%02d", c))) < 5 {
						return false
					}
				}
				return true
			}
			_ = p.sb.WaitFor(wait, answered)
			for c := range citizens {
				user := fmt.Sprintf("wmFive%02d", c)
				if got := len(p.botLines(user)); got < 5 {
					held, _ := p.app.Repo().HeldOutbox(ctx, "wkSANDBOX001", user)
					var why []string
					for _, m := range held {
						why = append(why, m.LastError)
					}
					t.Errorf("%s: %d replies to 5 messages; held: %q\n%s", user, got, why, chatText(p.sb.Chat(user)))
				}
				for _, l := range p.sb.Chat(user) {
					if l.From == "bot" && l.ErrCode != 0 {
						t.Errorf("%s: a reply refused by WeCom (errcode %d)", user, l.ErrCode)
					}
				}
			}
			// Nothing is left waiting for the citizen to write again, once
			// the last fates are saved.
			queued := func() []*cases.OutboxMessage {
				due, err := p.app.Repo().DueOutbox(ctx, time.Now().Add(time.Hour), 100)
				if err != nil {
					t.Fatal(err)
				}
				var out []*cases.OutboxMessage
				for _, m := range due {
					if m.Channel == cases.ChannelKf && strings.HasPrefix(m.Recipient, "wmFive") {
						out = append(out, m)
					}
				}
				return out
			}
			_ = p.sb.WaitFor(wait, func() bool { return len(queued()) == 0 })
			for _, m := range queued() {
				t.Errorf("reply still queued: %+v", m)
			}
			for c := range citizens {
				user := fmt.Sprintf("wmFive%02d", c)
				if held, _ := p.app.Repo().HeldOutbox(ctx, "wkSANDBOX001", user); len(held) > 0 {
					t.Errorf("%s: %d replies held", user, len(held))
				}
			}
		})
	}
}
