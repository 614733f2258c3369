package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"banchengshi/sandbox"
)

// script is one whole report, answer by answer: what the citizen says and a
// phrase the bot's answer to it mentions (as in app/replicas_test.go).
var script = []struct{ say, expect string }{
	{"你好", "请问您要办什么"},
	{"1", "谁遇到的"},
	{"1", "姓名"},
	{"王桂香", "身份证"},
	{"不知道", "电话"},
	{"13812345678", "哪一类"},
	{"1", "窗口或部门"},
	{"没有", "自己的话"},
	{"养老保险关系转不过来，跑了两年了", "记下了"},
	{"说完了", "请核对"},
	{"确认", "提交成功"},
}

// Callback retries as WeCom makes them: three attempts in all.
var callbackRetries = []time.Duration{time.Second, 2 * time.Second}

// sendLog is what the load sent: per message, whether and how fast WeCom's
// callback about it was acknowledged.
type sendLog struct {
	mu       sync.Mutex
	users    []string
	acks     []time.Duration // round trip of each acknowledged callback
	messages int
	acked    int
	first    time.Time
	lastAck  time.Time
	lastSent time.Time
	retries  sync.WaitGroup
}

func (l *sendLog) addUser(u string) {
	l.mu.Lock()
	l.users = append(l.users, u)
	l.mu.Unlock()
}

// say queues one citizen message at WeCom (the sandbox) and delivers the
// callback; when the product does not answer 200, WeCom's retries follow in
// the background while the citizen goes on writing.
func (l *sendLog) say(ctx context.Context, sb *sandbox.Sandbox, openKfID, user, text string) {
	start := time.Now()
	l.mu.Lock()
	if l.first.IsZero() {
		l.first = start
	}
	l.messages++
	l.mu.Unlock()
	_, err := sb.CitizenSays(ctx, user, text)
	end := time.Now()
	l.mu.Lock()
	l.lastSent = end
	l.mu.Unlock()
	if err == nil {
		l.ack(end.Sub(start), end)
		return
	}
	l.retries.Add(1)
	go func() {
		defer l.retries.Done()
		for _, wait := range callbackRetries {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			t := time.Now()
			if err := sb.RetryKfCallback(ctx, openKfID); err == nil {
				l.ack(time.Since(t), time.Now())
				return
			}
		}
	}()
}

func (l *sendLog) ack(rt time.Duration, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked++
	l.acks = append(l.acks, rt)
	l.lastAck = at
}

// burst has every citizen send steps messages back to back, all citizens at
// once.
func burst(ctx context.Context, sb *sandbox.Sandbox, run string, citizens, steps int) *sendLog {
	l := &sendLog{}
	kf := sb.Config().OpenKfIDs[0]
	var wg sync.WaitGroup
	for i := range citizens {
		user := fmt.Sprintf("%s-%03d", run, i)
		l.addUser(user)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range steps {
				if ctx.Err() != nil {
					return
				}
				l.say(ctx, sb, kf, user, script[k%len(script)].say)
			}
		}()
	}
	wg.Wait()
	return l
}

// paced sends messages at rate per second: message j is citizen j%citizens's
// next step, so each citizen writes every citizens/rate seconds, in order.
func paced(ctx context.Context, sb *sandbox.Sandbox, run string, citizens, messages int, rate float64) *sendLog {
	l := &sendLog{}
	kf := sb.Config().OpenKfIDs[0]
	queues := make([]chan string, citizens)
	var wg sync.WaitGroup
	for i := range citizens {
		user := fmt.Sprintf("%s-%03d", run, i)
		l.addUser(user)
		q := make(chan string, len(script))
		queues[i] = q
		wg.Add(1)
		go func() {
			defer wg.Done()
			for text := range q {
				l.say(ctx, sb, kf, user, text)
			}
		}()
	}
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for j := range messages {
		// Sleep to the message's slot: no drift however long a send took.
		if d := time.Until(start.Add(time.Duration(j) * interval)); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			break
		}
		queues[j%citizens] <- script[(j/citizens)%len(script)].say
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	return l
}
