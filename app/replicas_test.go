package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Production runs N identical replicas behind a load balancer on MySQL and
// Redis, or on MySQL alone with the locks in MySQL. Two replicas here take
// WeCom's callbacks in turn while ten citizens report at once: every message
// is answered once, in order, and every report becomes exactly one case.
func TestTwoReplicasBehindALoadBalancer(t *testing.T) {
	for _, b := range []backend{onMySQLRedis, onMySQL} {
		t.Run(string(b), func(t *testing.T) { twoReplicas(t, b) })
	}
}

func twoReplicas(t *testing.T, b backend) {
	p := startProductWith(t, b, Options{WorkerInterval: 50 * time.Millisecond})
	second, err := New(context.Background(), p.cfg, p.opt)
	if err != nil {
		t.Fatal(err)
	}
	second.Start()
	t.Cleanup(func() { closeApp(t, second, "the second replica") })

	var turn atomic.Int64
	var backends []*httputil.ReverseProxy
	for _, a := range []*App{p.app, second} {
		u, err := url.Parse(a.URL())
		if err != nil {
			t.Fatal(err)
		}
		backends = append(backends, httputil.NewSingleHostReverseProxy(u))
	}
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		backends[turn.Add(1)%2].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	p.sb.SetCallbackURL(lb.URL + "/wecom/callback")

	const citizens = 10
	var wg sync.WaitGroup
	errs := make(chan error, citizens)
	for i := 0; i < citizens; i++ {
		wg.Add(1)
		go func(user string) {
			defer wg.Done()
			if err := p.report(user); err != nil {
				errs <- fmt.Errorf("%s: %w", user, err)
			}
		}(fmt.Sprintf("wmReplica%02d", i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if turn.Load() < 2*citizens {
		t.Fatalf("the load balancer passed on only %d callbacks", turn.Load())
	}

	// Each case was stored before its number was given.
	if list := p.caseList(); len(list) != citizens {
		t.Errorf("%d cases for %d reports", len(list), citizens)
	}
	for i := 0; i < citizens; i++ {
		user := fmt.Sprintf("wmReplica%02d", i)
		// An answer given twice would be queued before the answer to the
		// citizen's next message, and sent no later than it.
		if _, err := p.sb.CitizenSays(context.Background(), user, "查询"); err != nil {
			t.Fatal(err)
		}
		if !waitUntil(func() bool {
			lines := p.botLines(user)
			return len(lines) > len(reportScript) && strings.Contains(lines[len(lines)-1].Text, "进展：")
		}) {
			t.Fatalf("%s: no progress after 查询:\n%s", user, chatText(p.sb.Chat(user)))
		}
		lines := p.botLines(user)
		if len(lines) != len(reportScript)+1 {
			t.Errorf("%s got %d answers to %d messages:\n%s", user, len(lines), len(reportScript)+1, chatText(p.sb.Chat(user)))
		}
		for _, l := range p.sb.Chat(user) {
			if l.ErrCode != 0 {
				t.Errorf("%s: WeCom refused a message (errcode %d)", user, l.ErrCode)
			}
		}
	}
}

// reportScript is one whole report, answer by answer.
var reportScript = []struct{ say, expect string }{
	{"你好", "请问您要办什么"},
	{"1", "谁遇到的"},
	{"1", "姓名"},
	{"王桂香", "身份证"},
	{"不知道", "电话"},
	{"13812345678", "哪一类"},
	{"1", "窗口或部门"},
	{"没有", "自己的话"},
	{"养老保险关系转不过来", "记下了"},
	{"说完了", "请核对"},
	{"确认", "提交成功"},
}

// report walks a citizen through reportScript from a goroutine, checking each
// answer follows its own question.
func (p *product) report(user string) error {
	for i, step := range reportScript {
		if _, err := p.sb.CitizenSays(context.Background(), user, step.say); err != nil {
			return fmt.Errorf("says %q: %w", step.say, err)
		}
		if !waitUntil(func() bool { return len(p.botLines(user)) > i }) {
			return fmt.Errorf("no answer to %q", step.say)
		}
		if got := p.botLines(user)[i].Text; !strings.Contains(got, step.expect) {
			return fmt.Errorf("answer %d to %q is %q, want it to mention %q", i+1, step.say, got, step.expect)
		}
	}
	return nil
}
