// Package app wires the product: config → storage → services → handlers →
// server, with a Start/Close pair so that tests run the whole product on :0
// with a temporary database.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/configs"
	"banchengshi/desk"
	"banchengshi/handlers"
	"banchengshi/intake"
	"banchengshi/metrics"
	"banchengshi/notify"
	"banchengshi/open311"
	"banchengshi/pii"
	"banchengshi/sandbox"
	"banchengshi/schedule"
	"banchengshi/sms"
	"banchengshi/staff"
	"banchengshi/storage"
	"banchengshi/web"
	"banchengshi/wecom"
)

// App is one running product.
type App struct {
	cfg      configs.Config
	log      *slog.Logger
	repo     *storage.SQL
	shared   storage.SharedStores // Redis, or in-process stand-ins on the embedded default
	sandbox  *sandbox.Sandbox
	intake   *intake.Intake
	outbox   *notify.Outbox
	sms      *notify.SMS // nil when no SMS provider is configured
	desk     *desk.Desk
	sched    *schedule.Scheduler
	dirWatch *staff.Watcher // keeps the directory file in force

	listener net.Listener
	server   *http.Server
	baseURL  string
	cancel   context.CancelFunc
	done     chan struct{}
}

// Options are the parts a test may replace.
type Options struct {
	// Log receives the product's log; nil discards it (cmd/banchengshi
	// logs to stderr).
	Log *slog.Logger
	Now func() time.Time
	// WorkerInterval is how often the workers look for work besides being
	// woken; default 2 s.
	WorkerInterval time.Duration
	// CatchUpEvery is how often every kf account is pulled without a
	// callback, for messages whose callbacks WeCom gave up on; default five
	// minutes. WeCom rate-limits such pulls strictly: only tests shorten it.
	CatchUpEvery time.Duration
	// ScheduleEvery is the lifecycle scheduler's tick; default one minute.
	// Tests that move a fake clock set it short, and wait for the rounds
	// /metrics counts after each move.
	ScheduleEvery time.Duration
}

// New builds the product from cfg: it validates cfg, opens the database
// (applying migrations), connects to Redis if configured (on MySQL without
// Redis, locks are kept in MySQL), loads the directory and the calendar, and
// listens on cfg.HTTPAddr. Start serves. Any failure is a *StartError whose
// text is one line saying what failed and what to do; whatever was opened
// before it is closed again.
func New(ctx context.Context, cfg configs.Config, opt Options) (_ *App, err error) {
	opt = opt.withDefaults()
	// The sandbox lets anyone sign in as any staff member: refuse a
	// configuration that would run it where it looks like production, even
	// when the caller skipped configs.Load.
	if err := cfg.Validate(); err != nil {
		return nil, startErr(StepConfig, err)
	}
	a := &App{cfg: cfg, log: opt.Log, done: make(chan struct{})}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	defer func() {
		if err != nil {
			cancel() // stops the directory watcher
			if a.sandbox != nil {
				a.sandbox.Close()
			}
			a.closeStores()
		}
	}()

	keys, err := loadDataKeys(cfg)
	if err != nil {
		return nil, startErr(StepDataKey, err)
	}
	sealer, err := pii.NewSealer(keys.primary, keys.previous...)
	if err != nil {
		return nil, startErr(StepDataKey, err)
	}
	if a.repo, err = storage.Open(ctx, cfg.DBDriver, cfg.DBDSN, sealer); err != nil {
		return nil, keys.openFailed(err)
	}
	if a.shared, err = openShared(ctx, cfg, a.log); err != nil {
		return nil, err
	}
	if a.dirWatch, err = staff.NewWatcher(staff.WatchConfig{Path: cfg.Directory, Log: a.log}); err != nil {
		return nil, startErr(StepDirectory, err)
	}
	dir := a.dirWatch.Source()
	cal, err := loadCalendar(cfg.Holidays)
	if err != nil {
		return nil, startErr(StepHolidays, err)
	}
	warnCalendarGaps(cal, opt.Now(), a.log)

	if err := a.listen(cfg.HTTPAddr, cfg.PublicURL); err != nil {
		return nil, err
	}

	// Decided before the sandbox fills in its corp: the embedded default texts
	// through the sandbox.
	smsMode := cfg.SMS()
	if cfg.Sandbox() {
		if err := a.startSandbox(&cfg, dir.Current(), opt.Now); err != nil {
			return nil, startErr(StepSandbox, err)
		}
	}
	client, err := a.wecomClient(cfg)
	if err != nil {
		return nil, err
	}
	return a.assemble(runCtx, cfg, opt, keys, dir, cal, client, smsMode)
}

// assemble builds the services on what New opened (the stores, the
// directory, the calendar, WeCom), puts the HTTP server in front of them and
// starts the workers. smsMode is the SMS provider as configured, before the
// sandbox filled in its corp.
func (a *App) assemble(runCtx context.Context, cfg configs.Config, opt Options, keys *dataKeys, dir *staff.Source,
	cal *cases.Calendar, client *wecom.Client, smsMode string) (*App, error) {
	counts := metrics.New()
	counts.WatchDB(a.repo.DB())
	a.desk = desk.New(desk.Config{Directory: dir, Calendar: cal, Now: opt.Now, Metrics: counts, Log: a.log})
	staffApp := &desk.StaffApp{Desk: a.desk, Repo: a.repo}
	engine := bot.New(bot.Config{DraftTTL: cfg.DraftTTL, ResumeAfter: cfg.ResumeAfter, Now: opt.Now})
	texter, err := smsSender(cfg, smsMode)
	if err != nil {
		return nil, err
	}
	if texter != nil {
		a.sms = notify.NewSMS(notify.SMSConfig{Repo: a.repo, Sender: texter, Tasks: a.desk, Locker: a.shared.Locker(),
			Log: a.log, Now: opt.Now, Every: opt.WorkerInterval, Metrics: counts})
	}
	a.outbox = notify.New(notify.Config{Repo: a.repo, API: client, Locker: a.shared.Locker(), Limiter: a.shared.RateLimiter(),
		Cards: staffApp, Tasks: a.desk, Log: a.log, Now: opt.Now, Every: opt.WorkerInterval, Metrics: counts, SMS: a.sms})
	a.intake = intake.New(intake.Config{
		Repo: a.repo, API: client, Locker: a.shared.Locker(), Engine: engine, Desk: a.desk.With, Timeline: a.desk, Staff: staffApp,
		Log: a.log, Now: opt.Now, Every: opt.WorkerInterval, Released: a.outbox.Kick, Events: a.outbox, StaffTask: a.desk.TellWindow,
		KfAccounts: func() []string { return kfAccounts(dir.Current()) }, CatchUpEvery: opt.CatchUpEvery, Metrics: counts, Signal: a.shared.Signal(),
	})
	a.sched = schedule.New(schedule.Config{Repo: a.repo, Locker: a.shared.Locker(), Desk: a.desk, Planner: a.outbox,
		Log: a.log, Now: opt.Now, Every: opt.ScheduleEvery, SessionTTL: cfg.DraftTTL + 24*time.Hour, Metrics: counts})

	pages, err := web.New(web.Config{Repo: a.repo, Reports: a.repo, Desk: a.desk, Identity: client, Sessions: a.repo,
		SessionKey: web.DeriveKey(keys.session()), PublicURL: a.baseURL, LocalHost: a.sandbox != nil && cfg.PublicURL == "",
		Now: opt.Now, Log: a.log})
	if err != nil {
		return nil, startErr(StepPages, err)
	}
	if a.server, err = a.newServer(cfg, pages, counts, opt.Now); err != nil {
		return nil, err
	}
	go a.work(runCtx)
	return a, nil
}

// newServer is the HTTP server of every route: the WeCom callbacks (whose
// keys are checked here), the API, Open311, metrics and health, the staff
// pages and, on the embedded default, the sandbox.
func (a *App) newServer(cfg configs.Config, pages *web.Server, counts *metrics.Metrics, now func() time.Time) (*http.Server, error) {
	crypter, err := wecom.NewCrypter(cfg.Token, cfg.AESKey, cfg.CorpID)
	if err != nil {
		return nil, startErr(StepWeCom, fmt.Errorf("callback keys: %w", err))
	}
	var mounts []func(*gin.Engine)
	if a.sandbox != nil {
		mounts = append(mounts, mountSandbox(a.sandbox))
	}
	mounts = append(mounts, pages.Mount)
	routes := handlers.Routes{
		Callback: &handlers.Callback{Crypter: crypter, Receiver: a.intake, MaxBytes: cfg.MaxCallbackBytes, Log: a.log, Metrics: counts},
		API:      &handlers.API{Repo: a.repo, Token: cfg.AdminToken, Log: a.log},
		Open311: &handlers.Open311{Log: a.log, Service: open311.New(open311.Config{Repo: a.repo, Desk: a.desk,
			Keys: cfg.Open311Keys(), Jurisdiction: cfg.Open311Jurisdiction, Kick: a.outbox.Kick, Now: now})},
		Metrics: counts.Handler(),
		Ready:   map[string]handlers.Pinger{"database": a.repo, "shared": a.shared},
		Mount:   mounts,
		Log:     a.log,
	}
	routes.MetricsToken = cfg.MetricsToken
	if cfg.KfToken != "" {
		kfCrypter, err := wecom.NewCrypter(cfg.KfToken, cfg.KfAESKey, cfg.CorpID)
		if err != nil {
			return nil, startErr(StepWeCom, fmt.Errorf("kf callback keys: %w", err))
		}
		routes.KfCallback = &handlers.Callback{Crypter: kfCrypter, Receiver: a.intake, MaxBytes: cfg.MaxCallbackBytes, Log: a.log, Metrics: counts}
	}
	return &http.Server{
		Handler:           handlers.NewRouter(routes),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}, nil
}

// withDefaults fills in what the caller left zero.
func (opt Options) withDefaults() Options {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.WorkerInterval == 0 {
		opt.WorkerInterval = 2 * time.Second
	}
	return opt
}

// openShared opens what replicas share besides the database: Redis when
// configured; on MySQL without Redis, the database itself (replicas share
// it: never lock in process); otherwise in-process stand-ins.
func openShared(ctx context.Context, cfg configs.Config, log *slog.Logger) (storage.SharedStores, error) {
	// (Each constructor's result is checked before it goes into the
	// interface: a nil *Redis there would not be a nil SharedStores.)
	switch {
	case cfg.RedisAddr != "":
		r, err := storage.NewRedis(ctx, cfg.RedisAddr, cfg.RedisPassword, cfg.RedisDB, cfg.RedisPrefix)
		if err != nil {
			return nil, startErr(StepRedis, err)
		}
		return r, nil
	case cfg.DBDriver == storage.DriverMySQL:
		db, err := storage.NewDBShared(ctx, cfg.DBDSN)
		if err != nil {
			return nil, startErr(StepLocks, err)
		}
		log.Info("no Redis configured: locks and rate limits are kept in MySQL")
		return db, nil
	}
	return storage.NewMemory(), nil
}

// warnCalendarGaps warns while the calendar lacks the official holidays of
// this year or the next: deadlines a year ahead need next year's, and the
// State Council's notice must be put in the calendar file by hand.
func warnCalendarGaps(cal *cases.Calendar, now time.Time, log *slog.Logger) {
	for _, t := range []time.Time{now, now.AddDate(1, 0, 0)} {
		if !cal.Covers(t) || cal.Provisional(t) {
			log.Warn("the working-day calendar lacks the official holidays of a year deadlines fall in; update configs/holidays-cn.yaml (or BCS_HOLIDAYS)",
				"year", t.In(cases.Shanghai).Year(), "covered", cal.Covers(t))
		}
	}
}

// listen opens the HTTP listener on addr and settles the product's base URL:
// publicURL when given, else the address actually bound (addr may end in :0).
func (a *App) listen(addr, publicURL string) error {
	var err error
	if a.listener, err = net.Listen("tcp", addr); err != nil {
		return startErr(StepListen, err)
	}
	a.baseURL = publicURL
	if a.baseURL == "" {
		a.baseURL = "http://" + a.listener.Addr().String()
	}
	a.baseURL = strings.TrimSuffix(a.baseURL, "/")
	return nil
}

// wecomClient is the WeCom API client for cfg's corp (the sandbox's on the
// embedded default). WeCom's frequency limits are per corp: the client shares
// one pause and one call budget with all replicas.
func (a *App) wecomClient(cfg configs.Config) (*wecom.Client, error) {
	client, err := wecom.New(wecom.Config{APIBase: cfg.WeComAPIBase, SignInBase: cfg.SignInBase, CorpID: cfg.CorpID,
		AgentID: cfg.AgentID, Secret: cfg.Secret, TokenCache: a.shared.TokenCache(),
		Budget: storage.NewCallBudget(a.shared, cfg.WeComCallsPerMinute, cfg.WeComCallsPerHour), Log: a.log})
	if err != nil {
		return nil, startErr(StepWeCom, fmt.Errorf("client: %w", err))
	}
	return client, nil
}

func (a *App) work(ctx context.Context) {
	defer close(a.done)
	done := make(chan struct{}, 6)
	go func() { a.dirWatch.Run(ctx); done <- struct{}{} }()
	go func() { a.intake.Run(ctx); done <- struct{}{} }()
	go func() { a.outbox.Run(ctx); done <- struct{}{} }()
	go func() { a.sched.Run(ctx); done <- struct{}{} }()
	go func() { a.watchKeys(ctx); done <- struct{}{} }()
	workers := 5
	if a.sms != nil {
		workers++
		go func() { a.sms.Run(ctx); done <- struct{}{} }()
	}
	for range workers {
		<-done
	}
}

// smsSender is the configured SMS provider, or nil when texting is off. The
// sandbox provider talks to the sandbox at the WeCom API base (the in-process
// one on the embedded default).
func smsSender(cfg configs.Config, mode string) (sms.Sender, error) {
	switch mode {
	case configs.SMSTencent:
		s, err := sms.NewTencent(sms.TencentConfig{SecretID: cfg.SMSSecretID, SecretKey: cfg.SMSSecretKey, Region: cfg.SMSRegion,
			AppID: cfg.SMSAppID, SignName: cfg.SMSSignName, TemplateID: cfg.SMSTemplateID, Endpoint: cfg.SMSEndpoint})
		if err != nil {
			return nil, fmt.Errorf("sms: %w", err)
		}
		return s, nil
	case configs.SMSSandbox:
		return sms.NewSandbox(cfg.WeComAPIBase), nil
	}
	return nil, nil
}

// startSandbox serves the local WeCom under /sandbox on our own server and
// points the product at it. It keeps the product's time: on a clock a test
// moves, WeCom's 48-hour window must close when the product's does.
func (a *App) startSandbox(cfg *configs.Config, dir *staff.Directory, now func() time.Time) error {
	// The sandbox corp's members are the directory's, so that each of them can
	// sign in to the web pages.
	var members []sandbox.Member
	for _, m := range dir.Members() {
		members = append(members, sandbox.Member{UserID: m.ID, Name: m.Name})
	}
	sb, err := sandbox.New(sandbox.Config{CallbackURL: a.baseURL + "/wecom/callback", Staff: members, Log: a.log, Now: now})
	if err != nil {
		return fmt.Errorf("start sandbox: %w", err)
	}
	a.sandbox = sb
	sc := sb.Config()
	cfg.CorpID, cfg.AgentID, cfg.Secret = sc.CorpID, sc.AgentID, sc.Secret
	cfg.Token, cfg.AESKey = sc.Token, sc.EncodingAESKey
	cfg.WeComAPIBase = a.baseURL + "/sandbox"
	cfg.SignInBase = cfg.WeComAPIBase
	return nil
}

func mountSandbox(sb *sandbox.Sandbox) func(*gin.Engine) {
	h := http.StripPrefix("/sandbox", sb.Handler())
	return func(r *gin.Engine) {
		r.Any("/sandbox/*path", gin.WrapH(h))
		r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/sandbox/") })
	}
}

// URL is where the product serves.
func (a *App) URL() string { return a.baseURL }

// Addr is the address the product listens on: behind a proxy, not where
// URL points.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Sandbox is the in-process WeCom sandbox, or nil when a real corp is
// configured; main tells the person starting it where its page is.
func (a *App) Sandbox() *sandbox.Sandbox { return a.sandbox }

// Repo is the product's database, for tests that prepare what no HTTP
// request can make (a case overdue for days, data sealed with an old key).
func (a *App) Repo() cases.Repo { return a.repo }

// Start serves HTTP until Close; it returns at once.
func (a *App) Start() {
	go func() {
		if err := a.server.Serve(a.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", "err", err)
		}
	}()
}

// Close stops serving (waiting up to the context's deadline for requests in
// flight), stops the workers and closes the stores.
func (a *App) Close(ctx context.Context) error {
	err := a.server.Shutdown(ctx)
	a.cancel()
	<-a.done
	if a.sandbox != nil {
		a.sandbox.Close()
	}
	a.closeStores()
	return err
}

func (a *App) closeStores() {
	if a.listener != nil && a.server == nil {
		a.listener.Close()
	}
	if a.shared != nil {
		a.shared.Close()
	}
	if a.repo != nil {
		a.repo.Close()
	}
}

// dataKeys are the keys that seal personal data.
type dataKeys struct {
	primary  []byte
	previous [][]byte // the key being rotated away from, if any
	created  string   // the key file this start created, if it did
}

// loadDataKeys returns the key that seals personal data (BCS_DATA_KEY, or on
// the embedded default the key file) and the previous key during a
// rotation. A missing key file gets a new key, written before the database
// is opened; storage.Open then refuses it if the database holds data sealed
// with another key, and openFailed removes it again, so a lost key file is
// never silently replaced.
func loadDataKeys(cfg configs.Config) (*dataKeys, error) {
	k := &dataKeys{}
	raw := cfg.DataKey
	if raw == "" {
		data, err := os.ReadFile(cfg.DataKeyFile)
		switch {
		case errors.Is(err, os.ErrNotExist):
			raw = pii.NewKey()
			if err := os.MkdirAll(filepath.Dir(cfg.DataKeyFile), 0o700); err != nil {
				return nil, fmt.Errorf("create data key folder: %w", err)
			}
			// O_EXCL: two processes starting at once must not both write.
			f, err := os.OpenFile(cfg.DataKeyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return nil, fmt.Errorf("write data key file: %w", err)
			}
			_, werr := f.WriteString(raw + "\n")
			if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
				os.Remove(cfg.DataKeyFile)
				return nil, fmt.Errorf("write data key file: %w", err)
			}
			k.created = cfg.DataKeyFile
		case err != nil:
			return nil, fmt.Errorf("read data key file: %w", err)
		default:
			raw = string(data)
		}
	}
	var err error
	if k.primary, err = pii.ParseKey(raw); err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	if cfg.DataKeyPrevious != "" {
		prev, err := pii.ParseKey(cfg.DataKeyPrevious)
		if err != nil {
			return nil, fmt.Errorf("previous data key: %w", err)
		}
		k.previous = [][]byte{prev}
	}
	return k, nil
}

// openFailed explains a database that would not open, and removes a key file
// this start created: it sealed nothing.
func (k *dataKeys) openFailed(err error) error {
	if k.created != "" {
		os.Remove(k.created)
	}
	var keyErr *storage.KeyError
	switch {
	case !errors.As(err, &keyErr):
		return startErr(StepDatabase, err)
	case k.created != "":
		which := "another key"
		if len(keyErr.KeyIDs) > 0 {
			which = "data key id " + strings.Join(keyErr.KeyIDs, ", ")
		}
		return startErr(StepDataKey, fmt.Errorf("data key file %s is missing, but the database holds personal data sealed with %s: "+
			"restore %s from your backup; a new key cannot open that data: %w", k.created, which, k.created, keyErrShort{keyErr}))
	}
	return startErr(StepDataKey, err)
}

// keyErrShort keeps a KeyError in the chain (errors.As finds it) without
// repeating its advice after openFailed's own.
type keyErrShort struct{ err *storage.KeyError }

func (e keyErrShort) Error() string { return "key check: " + string(e.err.Reason) }
func (e keyErrShort) Unwrap() error { return e.err }

// session is the secret the web pages' session key derives from: the
// previous data key while keys rotate, so that replicas on either side of
// a rolling restart accept each other's sign-ins.
func (k *dataKeys) session() []byte {
	if len(k.previous) > 0 {
		return k.previous[0]
	}
	return k.primary
}

func loadCalendar(path string) (*cases.Calendar, error) {
	data := configs.Holidays
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read holidays file: %w", err)
		}
	}
	cal, err := cases.ParseCalendar(data)
	if err != nil {
		return nil, fmt.Errorf("holidays: %w", err)
	}
	return cal, nil
}

// kfAccounts lists the 微信客服 accounts of the directory's windows.
func kfAccounts(d *staff.Directory) []string {
	var ids []string
	for _, dept := range d.Departments() {
		ids = append(ids, dept.OpenKfIDs...)
	}
	return ids
}
