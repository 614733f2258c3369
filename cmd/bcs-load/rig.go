package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers "mysql"
	"github.com/redis/go-redis/v9"

	"banchengshi/internal/faultnet"
	"banchengshi/sandbox"
	"banchengshi/staff"
)

// rigConfig is what one run of the rig is made of.
type rigConfig struct {
	// Replicas is how many product processes run behind the balancer.
	Replicas int
	// Latency is the WeCom API round trip the sandbox adds to every call.
	Latency time.Duration
	// Ceilings are the sandbox's call limits; zero fields take WeCom's.
	Ceilings sandbox.Ceilings
	// Bin is the product binary; Build makes one when empty.
	Bin string
	// MySQL is the MariaDB server ("127.0.0.1:3306"); its user is root
	// without a password, as on the development machine.
	MySQL string
	// Redis is a shared Redis server used with a key prefix of the run's own;
	// empty starts a redis-server of the rig's own on a free port.
	Redis string
	// ProxyDB puts a faultnet proxy between the products and MariaDB, so that
	// the fault suite can cut and restore their connections.
	ProxyDB bool
	// Dir holds the rig's files (product logs, its own Redis's data).
	Dir string
	// Root is the module root: the products run there.
	Root string
	// Log receives the rig's own messages.
	Log io.Writer
}

// rig is the product at production's shape on this machine: N replicas of
// the real binary on MariaDB and Redis behind a round-robin balancer, and the
// WeCom sandbox as a server of its own that every replica calls.
type rig struct {
	cfg rigConfig
	sb  *sandbox.Sandbox

	sbServer *http.Server
	sbURL    string
	lb       *balancer
	replicas []*replica

	db      string // database name
	dbAddr  string // what the products dial (the proxy when ProxyDB)
	dbProxy *faultnet.Proxy
	redis   *ownRedis // nil when a shared Redis is used
	rdAddr  string
	prefix  string
	dataKey string
	// metricsToken reads the replicas' /metrics (callbackTimes).
	metricsToken string
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// startRig brings up the database, Redis, the sandbox, the balancer and the
// replicas, and waits until each replica is ready.
func startRig(ctx context.Context, cfg rigConfig) (r *rig, err error) {
	if cfg.Replicas < 1 || cfg.Replicas > 3 {
		return nil, fmt.Errorf("replicas must be 1, 2 or 3, not %d", cfg.Replicas)
	}
	for _, addr := range []string{cfg.MySQL, cfg.Redis} {
		if addr != "" && !loopback(addr) {
			return nil, fmt.Errorf("%s is not a loopback address: the rig only talks to 127.0.0.1", addr)
		}
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	id := randomHex(4)
	r = &rig{cfg: cfg, db: "bcs_load_" + id, prefix: "bcsload" + id + ":", dataKey: randomHex(32), metricsToken: randomHex(16)}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()

	if err := r.createDatabase(ctx); err != nil {
		return r, err
	}
	r.dbAddr = cfg.MySQL
	if cfg.ProxyDB {
		if r.dbProxy, err = faultnet.Listen(cfg.MySQL); err != nil {
			return r, err
		}
		r.dbAddr = r.dbProxy.Addr()
	}
	r.rdAddr = cfg.Redis
	if cfg.Redis == "" {
		if r.redis, err = startOwnRedis(ctx, filepath.Join(cfg.Dir, "redis-"+id)); err != nil {
			return r, err
		}
		r.rdAddr = r.redis.addr
	}

	dir, err := staff.LoadDirectory(filepath.Join(cfg.Root, "configs", "directory.example.yaml"))
	if err != nil {
		return r, fmt.Errorf("load directory: %w", err)
	}
	var members []sandbox.Member
	for _, m := range dir.Members() {
		members = append(members, sandbox.Member{UserID: m.ID, Name: m.Name})
	}
	r.sb, err = sandbox.New(sandbox.Config{Staff: members, Latency: cfg.Latency, Ceilings: cfg.Ceilings,
		Log: slog.New(slog.NewTextHandler(cfg.Log, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		return r, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return r, err
	}
	r.sbURL = "http://" + ln.Addr().String()
	r.sbServer = &http.Server{Handler: r.sb.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go r.sbServer.Serve(ln)

	r.lb, err = newBalancer()
	if err != nil {
		return r, err
	}
	r.sb.SetCallbackURL(r.lb.URL() + callbackPath)

	for i := range cfg.Replicas {
		rep, err := newReplica(i, r.env, cfg.Bin, cfg.Root, filepath.Join(cfg.Dir, fmt.Sprintf("replica%d.log", i+1)))
		if err != nil {
			return r, err
		}
		r.replicas = append(r.replicas, rep)
		r.lb.add(rep.url)
		// The first replica applies the migrations; the others start after it.
		if err := rep.start(ctx); err != nil {
			return r, err
		}
	}
	return r, nil
}

// env is the products' configuration: MariaDB and Redis as in production,
// and the sandbox corp as the WeCom they talk to.
func (r *rig) env(addr string) []string {
	sc := r.sb.Config()
	return []string{
		"BCS_HTTP_ADDR=" + addr,
		"BCS_DB_DRIVER=mysql",
		"BCS_DB_DSN=root@tcp(" + r.dbAddr + ")/" + r.db,
		"BCS_DATA_KEY=" + r.dataKey,
		"BCS_METRICS_TOKEN=" + r.metricsToken,
		"BCS_REDIS_ADDR=" + r.rdAddr,
		"BCS_REDIS_PREFIX=" + r.prefix,
		// Production's mode, with the sandbox corp as its WeCom (as
		// cmd/bcs-sandbox's env file configures a product).
		"BCS_MODE=wecom",
		"BCS_WECOM_API_BASE=" + r.sbURL,
		"BCS_WECOM_SIGNIN_BASE=" + r.sbURL,
		"BCS_WECOM_CORP_ID=" + sc.CorpID,
		fmt.Sprintf("BCS_WECOM_AGENT_ID=%d", sc.AgentID),
		"BCS_WECOM_SECRET=" + sc.Secret,
		"BCS_WECOM_TOKEN=" + sc.Token,
		"BCS_WECOM_AES_KEY=" + sc.EncodingAESKey,
		"BCS_DIRECTORY=" + filepath.Join(r.cfg.Root, "configs", "directory.example.yaml"),
		"BCS_LOG_LEVEL=warn",
	}
}

func (r *rig) createDatabase(ctx context.Context) error {
	db, err := sql.Open("mysql", "root@tcp("+r.cfg.MySQL+")/")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+r.db); err != nil {
		return fmt.Errorf("MariaDB at %s: %w", r.cfg.MySQL, err)
	}
	return nil
}

// Close stops everything the rig started and removes its database and keys.
func (r *rig) Close() {
	for _, rep := range r.replicas {
		rep.stop()
	}
	if r.lb != nil {
		r.lb.Close()
	}
	if r.sbServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r.sbServer.Shutdown(ctx)
		cancel()
	}
	if r.sb != nil {
		r.sb.ClearFaults()
		r.sb.Close()
	}
	if r.dbProxy != nil {
		r.dbProxy.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if db, err := sql.Open("mysql", "root@tcp("+r.cfg.MySQL+")/"); err == nil {
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+r.db); err != nil {
			fmt.Fprintln(r.cfg.Log, "drop database:", err)
		}
		db.Close()
	}
	if r.redis != nil {
		r.redis.stop()
	} else if r.rdAddr != "" {
		dropPrefix(ctx, r.rdAddr, r.prefix)
	}
}

func dropPrefix(ctx context.Context, addr, prefix string) {
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		c.Del(ctx, keys[:n]...)
		keys = keys[n:]
	}
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// freeAddr finds a free loopback port for a process to listen on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// buildProduct builds cmd/banchengshi into dir and returns its path.
func buildProduct(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "banchengshi")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/banchengshi")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/banchengshi: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(data), "module banchengshi") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run bcs-load inside the banchengshi module")
		}
		dir = parent
	}
}
