package dbforward

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TestCutAndRestore forwards to an echo server standing in for a database:
// bytes go through, Cut ends the connection and refuses new ones, Restore
// lets them through again.
func TestCutAndRestore(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	f, dsn, err := New("u:p@tcp(" + l.Addr().String() + ")/db")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Net != "tcp" || cfg.Addr == l.Addr().String() || cfg.DBName != "db" || cfg.User != "u" {
		t.Fatalf("forwarded DSN %q, want the same database through another loopback address", dsn)
	}

	echo := func() (net.Conn, error) {
		c, err := net.DialTimeout("tcp", cfg.Addr, 5*time.Second)
		if err != nil {
			return nil, err
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("ping\n")); err != nil {
			c.Close()
			return nil, err
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			c.Close()
			return nil, err
		}
		if line != "ping\n" {
			c.Close()
			t.Fatalf("echoed %q", line)
		}
		return c, nil
	}
	c, err := echo()
	if err != nil {
		t.Fatalf("through the forwarder: %v", err)
	}
	defer c.Close()

	f.Cut()
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("a forwarded connection still reads after Cut")
	}
	if c2, err := echo(); err == nil {
		c2.Close()
		t.Error("a new connection got through a cut forwarder")
	}

	f.Restore()
	c3, err := echo()
	if err != nil {
		t.Fatalf("after Restore: %v", err)
	}
	c3.Close()
}
