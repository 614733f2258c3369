package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// replica is one product process of the real binary, on a fixed address so
// that a restart comes back where the balancer expects it.
type replica struct {
	n    int
	addr string
	url  string
	env  func(addr string) []string
	bin  string
	root string
	log  *os.File

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	cpuDead time.Duration // CPU time of processes of this replica that are gone
	starts  int
}

func newReplica(n int, env func(string) []string, bin, root, logPath string) (*replica, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &replica{n: n, addr: addr, url: "http://" + addr, env: env, bin: bin, root: root, log: f}, nil
}

// start runs the process and waits until /readyz answers 200.
func (p *replica) start(ctx context.Context) error {
	p.mu.Lock()
	cmd := exec.Command(p.bin)
	cmd.Dir = p.root
	cmd.Env = append(minimalEnv(), p.env(p.addr)...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	// Its own process group, so that a signal to the rig does not reach it
	// before the rig decides.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		return fmt.Errorf("start replica %d: %w", p.n+1, err)
	}
	p.starts++
	fmt.Fprintf(p.log, "--- bcs-load %s: start %d, pid %d\n", time.Now().Format("15:04:05.000"), p.starts, cmd.Process.Pid)
	exited := make(chan struct{})
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	go func() {
		cmd.Wait()
		close(exited)
	}()
	return p.waitReady(ctx, exited)
}

func (p *replica) waitReady(ctx context.Context, exited chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("replica %d exited at start; see %s", p.n+1, p.log.Name())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
		resp, err := client.Get(p.url + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				fmt.Fprintf(p.log, "--- bcs-load %s: ready\n", time.Now().Format("15:04:05.000"))
				return nil
			}
		}
	}
	return fmt.Errorf("replica %d not ready within 30 s; see %s", p.n+1, p.log.Name())
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *replica) kill() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	p.noteCPU(cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	fmt.Fprintf(p.log, "--- bcs-load %s: SIGKILL pid %d\n", time.Now().Format("15:04:05.000"), cmd.Process.Pid)
	p.mu.Lock()
	p.cmd = nil
	p.mu.Unlock()
}

// stop ends the process gracefully (SIGTERM, then SIGKILL after 10 s).
func (p *replica) stop() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd != nil {
		p.noteCPU(cmd.Process.Pid)
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
		}
		p.mu.Lock()
		p.cmd = nil
		p.mu.Unlock()
	}
	p.log.Close()
}

// noteCPU adds a process's CPU time so far to what the replica has used:
// the figure is read just before the process goes away.
func (p *replica) noteCPU(pid int) {
	d, _ := cpuOf(pid)
	p.mu.Lock()
	p.cpuDead += d
	p.mu.Unlock()
}

// cpu is the CPU time the replica's processes used, dead and alive.
func (p *replica) cpu() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	total := p.cpuDead
	if p.cmd != nil {
		d, _ := cpuOf(p.cmd.Process.Pid)
		total += d
	}
	return total
}

func (p *replica) alive() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// cpuOf reads a process's user and system CPU time from /proc.
func cpuOf(pid int) (time.Duration, error) {
	proc, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	st, err := proc.Stat()
	if err != nil {
		return 0, err
	}
	return time.Duration(st.CPUTime() * float64(time.Second)), nil
}

// findProcess returns the pid of the process named comm whose command line
// contains match (empty matches any), or 0.
func findProcess(comm, match string) int {
	procs, err := procfs.AllProcs()
	if err != nil {
		return 0
	}
	for _, p := range procs {
		name, err := p.Comm()
		if err != nil || name != comm {
			continue
		}
		if match == "" {
			return p.PID
		}
		args, err := p.CmdLine()
		if err == nil && strings.Contains(strings.Join(args, " "), match) {
			return p.PID
		}
	}
	return 0
}

// minimalEnv is what a product process inherits: no BCS_* setting of the
// shell that runs the rig leaks into it.
func minimalEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BCS_") {
			env = append(env, kv)
		}
	}
	return env
}

// ownRedis is a redis-server the rig starts on a free port, so that the
// fault suite can stop and restart it without touching the shared one.
type ownRedis struct {
	addr string
	dir  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func startOwnRedis(ctx context.Context, dir string) (*ownRedis, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	r := &ownRedis{addr: addr, dir: dir}
	return r, r.start(ctx)
}

func (r *ownRedis) start(ctx context.Context) error {
	_, port, _ := strings.Cut(r.addr, ":")
	// Data survives a stop and start (append-only file), as in production.
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--dir", r.dir,
		"--appendonly", "yes", "--save", "", "--protected-mode", "yes")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	r.mu.Lock()
	r.cmd, r.done = cmd, done
	r.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("redis-server exited: %s", out.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if out, err := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", port, "ping").Output(); err == nil && strings.TrimSpace(string(out)) == "PONG" {
			return nil
		}
	}
	return errors.New("redis-server did not answer PING within 10 s")
}

// stop shuts the server down (SIGTERM: it writes its data and exits).
func (r *ownRedis) stop() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

func (r *ownRedis) pid() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return 0
	}
	return r.cmd.Process.Pid
}
