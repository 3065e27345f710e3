package mariadbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"microwizard/internal/testenv"
)

// Server is a private mariadbd for one test, on a unix socket in a temporary
// directory, which the test may stop and start again (to see what happens
// while "MySQL is down").
type Server struct {
	tb      testing.TB
	dir     string
	Socket  string
	cmd     *exec.Cmd
	stopped chan struct{}
}

// StartServer initialises a data directory and starts mariadbd on it. The server
// is stopped when the test ends. Without MariaDB installed the test skips
// (fails under CI).
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	for _, bin := range []string{"mariadbd", "mariadb-install-db"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, err := os.Stat("/usr/sbin/" + bin); err != nil {
				testenv.Missing(tb, "mariadbtest: no "+bin+": run scripts/setup (apt-get install mariadb-server)")
			}
		}
	}
	// Unix socket paths are limited to 108 characters: keep the dir short.
	dir, err := os.MkdirTemp("/tmp", "my")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	install := exec.Command("mariadb-install-db", "--no-defaults", "--user=root", "--datadir="+data,
		"--auth-root-authentication-method=socket", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		tb.Fatalf("mariadbtest: mariadb-install-db: %v\n%s", err, out)
	}
	s := &Server{tb: tb, dir: dir, Socket: filepath.Join(dir, "mysqld.sock")}
	s.StartAgain()
	tb.Cleanup(s.Stop)
	return s
}

// StartAgain starts the server (again) and waits until it answers.
func (s *Server) StartAgain() {
	s.tb.Helper()
	s.cmd = exec.Command("/usr/sbin/mariadbd", "--no-defaults", "--user=root",
		"--datadir="+filepath.Join(s.dir, "data"), "--socket="+s.Socket,
		"--skip-networking", "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
		"--pid-file="+filepath.Join(s.dir, "mysqld.pid"))
	s.cmd.Stdout, s.cmd.Stderr = nil, nil
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatalf("mariadbtest: start mariadbd: %v", err)
	}
	s.stopped = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(s.cmd, s.stopped)
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		s.tb.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for db.Ping() != nil {
		if time.Now().After(deadline) {
			s.tb.Fatalf("mariadbtest: mariadbd on %s did not answer in 60s", s.Socket)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 20 s) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.stopped:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.stopped:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.stopped
	}
}

// DSN returns a DSN for database name ("" for none) as root over the socket.
func (s *Server) DSN(name string) string {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "unix"
	cfg.Addr = s.Socket
	cfg.DBName = name
	cfg.ParseTime = true
	return cfg.FormatDSN()
}

// CreateDatabase creates database name and returns a DSN for it.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return s.DSN(name), nil
}
