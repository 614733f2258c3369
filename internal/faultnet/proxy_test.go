package faultnet

import (
	"bufio"
	"net"
	"testing"
)

// echo is a line echo server standing in for MariaDB or Redis.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(c net.Conn, r *bufio.Reader, s string) (string, error) {
	if _, err := c.Write([]byte(s + "\n")); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	return line, err
}

func TestCutResetsConnectionsAndRestoreAcceptsAgain(t *testing.T) {
	p, err := Listen(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if got, err := roundTrip(c, r, "ping"); err != nil || got != "ping\n" {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}

	p.Cut()
	if p.Up() {
		t.Error("Up after Cut")
	}
	if _, err := roundTrip(c, r, "lost"); err == nil {
		t.Error("a connection survived Cut")
	}
	if c2, err := net.Dial("tcp", p.Addr()); err == nil {
		c2.Close()
		t.Error("a new connection was accepted while cut")
	}

	if err := p.Restore(); err != nil {
		t.Fatal(err)
	}
	c3, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if got, err := roundTrip(c3, bufio.NewReader(c3), "back"); err != nil || got != "back\n" {
		t.Fatalf("after Restore: %q, %v", got, err)
	}
}

func TestOnlyLoopbackTargets(t *testing.T) {
	for _, target := range []string{"10.0.0.1:3306", "example.com:6379", "3306"} {
		if p, err := Listen(target); err == nil {
			p.Close()
			t.Errorf("Listen(%q) accepted", target)
		}
	}
}
