package intake

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// replicaSetup is what the replicas of one test share: the database, and
// the shared stores each replica opens on its own (one Memory for all on
// SQLite, a Redis connection each on MySQL, as separate processes have).
type replicaSetup struct {
	repo   *storage.SQL
	shared func(t *testing.T) storage.SharedStores
}

var replicaSetups = map[string]func(t *testing.T) replicaSetup{
	"sqlite": func(t *testing.T) replicaSetup {
		mem := storage.NewMemory()
		return replicaSetup{storagetest.SQLite(t), func(*testing.T) storage.SharedStores { return mem }}
	},
	"mysql+redis": func(t *testing.T) replicaSetup {
		first := storagetest.Redis(t)
		return replicaSetup{storagetest.MySQL(t), func(t *testing.T) storage.SharedStores {
			r, err := storage.NewRedis(context.Background(), first.Client().Options().Addr, "", 0, first.Prefix())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			return r
		}}
	},
}

// replica is one Intake as a replica of the product would have it.
func (s replicaSetup) replica(t *testing.T, api KfAPI) *Intake {
	t.Helper()
	d := exampleDesk(t, nil)
	shared := s.shared(t)
	return New(Config{
		Repo: s.repo, API: api, Locker: shared.Locker(), Signal: shared.Signal(), Engine: bot.New(bot.Config{}),
		Desk: d.With, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Every: time.Hour, // no polling: woken by the puller
	})
}

// pagedKf plays WeCom for replicas: sync_msg answers from scripted pages
// (then empty ones), and each media download goes through a hook, which
// sees who downloads what for whom.
type pagedKf struct {
	mu     sync.Mutex
	pages  []wecom.SyncResponse
	tokens []string // of each sync_msg call
	media  func(ctx context.Context, mediaID string) error
	// during, if not nil, runs inside each sync_msg call; an error fails it.
	during func(call int) error
}

func (f *pagedKf) SyncMsg(_ context.Context, req wecom.SyncRequest) (*wecom.SyncResponse, error) {
	f.mu.Lock()
	f.tokens = append(f.tokens, req.Token)
	call, during := len(f.tokens), f.during
	f.mu.Unlock()
	if during != nil {
		if err := during(call); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pages) == 0 {
		return &wecom.SyncResponse{NextCursor: req.Cursor}, nil
	}
	p := f.pages[0]
	f.pages = f.pages[1:]
	return &p, nil
}

// calls returns the Token of each sync_msg call so far.
func (f *pagedKf) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tokens)
}

// add queues a page for the next sync_msg.
func (f *pagedKf) add(p wecom.SyncResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pages = append(f.pages, p)
}

func (f *pagedKf) GetMedia(ctx context.Context, mediaID string) ([]byte, string, string, error) {
	if f.media != nil {
		if err := f.media(ctx, mediaID); err != nil {
			return nil, "", "", err
		}
	}
	return []byte("\xff\xd8\xff\xe0 photo of a document"), "image/jpeg", "photo.jpg", nil
}

func (f *pagedKf) SendKfOnEvent(context.Context, string, cases.Message) (string, error) {
	return "", nil
}

// handling records which worker downloads whose photo, in what order, and
// whether two workers were ever inside one citizen's message at once.
type handling struct {
	mu       sync.Mutex
	inside   map[string]int      // citizen → workers inside their message now
	order    map[string][]string // citizen → media ids in the order handled
	by       map[string]string   // media id → replica
	overlaps []string
}

func newHandling() *handling {
	return &handling{inside: map[string]int{}, order: map[string][]string{}, by: map[string]string{}}
}

// hook returns replica's media hook; block, if not nil, is called inside
// the citizen's message (a slow or stuck handler).
func (h *handling) hook(replica string, block func(mediaID string)) func(context.Context, string) error {
	return func(_ context.Context, mediaID string) error {
		user, _, _ := strings.Cut(mediaID, "/")
		h.mu.Lock()
		if h.inside[user] > 0 {
			h.overlaps = append(h.overlaps, replica+" entered "+mediaID+" while another worker was inside "+user+"'s message")
		}
		h.inside[user]++
		h.order[user] = append(h.order[user], mediaID)
		h.by[mediaID] = replica
		h.mu.Unlock()
		if block != nil {
			block(mediaID)
		}
		h.mu.Lock()
		h.inside[user]--
		h.mu.Unlock()
		return nil
	}
}

func (h *handling) snapshot() (overlaps []string, order map[string][]string, by map[string]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	order = map[string][]string{}
	for u, ids := range h.order {
		order[u] = slices.Clone(ids)
	}
	by = map[string]string{}
	for k, v := range h.by {
		by[k] = v
	}
	return slices.Clone(h.overlaps), order, by
}

func pendingIDs(t *testing.T, repo *storage.SQL) []string {
	t.Helper()
	pending, err := repo.PendingKfMessages(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range pending {
		ids = append(ids, m.MsgID)
	}
	return ids
}

// Every replica handles kf messages, and a citizen is served by one worker
// at a time across them: while replica A is inside the first of u1's
// photos, replica B handles u2 and leaves both of u1's photos alone, the
// second included (it must not pass the first); A then handles them in
// order.
func TestCitizenServedByOneReplicaAtATime(t *testing.T) {
	for name, setup := range replicaSetups {
		t.Run(name, func(t *testing.T) {
			s := setup(t)
			ctx := context.Background()
			now := time.Now().Unix()
			h := newHandling()
			entered, release := make(chan struct{}), make(chan struct{})
			a := s.replica(t, &pagedKf{media: h.hook("A", func(mediaID string) {
				if mediaID == "u1/1" {
					close(entered)
					<-release
				}
			})})
			b := s.replica(t, &pagedKf{media: h.hook("B", nil)})
			store := func(ms ...wecom.KfMessage) {
				t.Helper()
				var recs []*cases.KfMessage
				for i := range ms {
					recs = append(recs, a.record(&ms[i]))
				}
				if _, err := s.repo.InsertKfMessages(ctx, recs); err != nil {
					t.Fatal(err)
				}
			}
			store(image("m1", "u1", 1, now), image("m2", "u1", 2, now))
			aDone := make(chan error)
			go func() { aDone <- a.handlePending(ctx) }()
			<-entered

			store(image("m3", "u2", 1, now))
			if err := b.handlePending(ctx); err != nil {
				t.Fatal(err)
			}
			overlaps, order, by := h.snapshot()
			if len(overlaps) > 0 {
				t.Errorf("one citizen served by two workers at once: %v", overlaps)
			}
			if diff := cmp.Diff(map[string][]string{"u1": {"u1/1"}, "u2": {"u2/1"}}, order); diff != "" {
				t.Errorf("handled while A is inside u1's first photo (-want +got):\n%s", diff)
			}
			if by["u2/1"] != "B" {
				t.Errorf("u2's photo handled by %q, want replica B", by["u2/1"])
			}
			if diff := cmp.Diff([]string{"m1", "m2"}, pendingIDs(t, s.repo)); diff != "" {
				t.Errorf("pending while A is inside u1's first photo (-want +got):\n%s", diff)
			}

			close(release)
			if err := <-aDone; err != nil {
				t.Fatal(err)
			}
			overlaps, order, by = h.snapshot()
			if len(overlaps) > 0 {
				t.Errorf("one citizen served by two workers at once: %v", overlaps)
			}
			if diff := cmp.Diff(map[string][]string{"u1": {"u1/1", "u1/2"}, "u2": {"u2/1"}}, order); diff != "" {
				t.Errorf("handled in all (-want +got):\n%s", diff)
			}
			if by["u1/2"] != "A" {
				t.Errorf("u1's second photo handled by %q, want A, which held u1", by["u1/2"])
			}
			if left := pendingIDs(t, s.repo); len(left) > 0 {
				t.Errorf("still pending: %v", left)
			}
		})
	}
}

// reportSteps are the first five messages of a report and what the answer
// to each asks next.
var reportSteps = []struct{ say, expect string }{
	{"你好", "请问您要办什么"},
	{"1", "谁遇到的"},
	{"1", "姓名"},
	{"王桂香", "身份证"},
	{"不知道", "电话"},
}

// Two replicas, running as the product runs them, share one kf account's
// messages: one pulls them in pages, both handle, each is handled once, and
// every citizen's answers follow their messages in order.
func TestTwoReplicasHandleEachMessageOnceInOrder(t *testing.T) {
	for name, setup := range replicaSetups {
		t.Run(name, func(t *testing.T) {
			s := setup(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			const citizens = 20
			now := time.Now().Unix()
			api := &pagedKf{}
			// Five pages, one step of every citizen's report each; the
			// citizens in a different order on every page.
			for step, st := range reportSteps {
				var page []wecom.KfMessage
				for i := range citizens {
					u := (i*7 + step*3) % citizens
					page = append(page, text(fmt.Sprintf("m%d-%02d", step, u), fmt.Sprintf("u%02d", u), st.say, now))
				}
				api.add(wecom.SyncResponse{NextCursor: fmt.Sprintf("c%d", step+1), HasMore: step < len(reportSteps)-1, Messages: page})
			}
			a, b := s.replica(t, api), s.replica(t, &pagedKf{})
			var running sync.WaitGroup
			for _, r := range []*Intake{a, b} {
				running.Add(1)
				go func() { defer running.Done(); r.Run(ctx) }()
			}
			defer running.Wait()
			defer cancel()
			if err := a.sync(ctx, "wkSANDBOX001", "tok"); err != nil {
				t.Fatal(err)
			}
			for len(pendingIDs(t, s.repo)) > 0 {
				if ctx.Err() != nil {
					t.Fatal(ctx.Err())
				}
				time.Sleep(20 * time.Millisecond) // the test's deadline fails a replica that never handles
			}

			due, err := s.repo.DueOutbox(context.Background(), time.Now().Add(time.Hour), 1000)
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(due, func(i, j int) bool { return due[i].ID < due[j].ID })
			answers := map[string][]string{}
			for _, m := range due {
				answers[m.Recipient] = append(answers[m.Recipient], m.Message.Text)
			}
			for i := range citizens {
				u := fmt.Sprintf("u%02d", i)
				got := answers[u]
				if len(got) != len(reportSteps) {
					t.Errorf("%s: %d answers to %d messages: %q", u, len(got), len(reportSteps), got)
					continue
				}
				for k, st := range reportSteps {
					if !strings.Contains(got[k], st.expect) {
						t.Errorf("%s: answer %d to %q is %q, want it to ask for %q", u, k+1, st.say, got[k], st.expect)
					}
				}
			}
		})
	}
}

// callback is the stored form of a kf callback announcing new messages.
func callback(t *testing.T, token string) (*wecom.Callback, []byte) {
	t.Helper()
	return callbackFor(t, "wkSANDBOX001", token)
}

// callbackFor is callback for the kf account openKfID.
func callbackFor(t *testing.T, openKfID, token string) (*wecom.Callback, []byte) {
	t.Helper()
	plain := []byte("<xml><ToUserName><![CDATA[wwSANDBOX]]></ToUserName><CreateTime>1765000000</CreateTime>" +
		"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>" +
		"<Token><![CDATA[" + token + "]]></Token><OpenKfId><![CDATA[" + openKfID + "]]></OpenKfId></xml>")
	cb, err := wecom.ParseCallback(plain)
	if err != nil {
		t.Fatal(err)
	}
	return cb, plain
}

// Pulling does not wait for handling: while a worker is stuck inside one
// citizen's photo, the next callback's messages are pulled, stored and
// handled.
func TestPullingGoesOnWhileAHandlerIsBusy(t *testing.T) {
	for name, setup := range replicaSetups {
		t.Run(name, func(t *testing.T) {
			s := setup(t)
			ctx, cancel := context.WithCancel(context.Background())
			var running sync.WaitGroup
			defer running.Wait()
			defer cancel()
			now := time.Now().Unix()
			entered, release := make(chan struct{}), make(chan struct{})
			api := &pagedKf{media: func(_ context.Context, mediaID string) error {
				if mediaID == "u1/1" {
					close(entered)
					<-release
				}
				return nil
			}}
			api.add(wecom.SyncResponse{NextCursor: "c1", Messages: []wecom.KfMessage{image("m1", "u1", 1, now)}})
			in := s.replica(t, api)
			running.Add(1)
			go func() { defer running.Done(); in.Run(ctx) }()

			cb1, plain1 := callback(t, "tok1")
			if _, err := in.Receive(ctx, cb1, plain1); err != nil {
				t.Fatal(err)
			}
			<-entered
			api.add(wecom.SyncResponse{NextCursor: "c2", Messages: []wecom.KfMessage{text("m2", "u2", "你好", now)}})
			cb2, plain2 := callback(t, "tok2")
			if _, err := in.Receive(ctx, cb2, plain2); err != nil {
				t.Fatal(err)
			}
			// m2 pulled (the cursor after it saved) and handled, m1 not yet.
			for {
				c, err := s.repo.Cursor(ctx, "wkSANDBOX001")
				if err != nil {
					t.Fatal(err)
				}
				if c == "c2" && slices.Equal(pendingIDs(t, s.repo), []string{"m1"}) {
					break
				}
				time.Sleep(20 * time.Millisecond) // the test's deadline fails a puller that waits for the handler
			}
			close(release)
			for len(pendingIDs(t, s.repo)) > 0 {
				time.Sleep(20 * time.Millisecond)
			}
			if pending, err := s.repo.PendingInbound(ctx, 10); err != nil || len(pending) != 0 {
				t.Errorf("callbacks left: %d, %v", len(pending), err)
			}
		})
	}
}
