// Package dbforward puts a cuttable loopback forwarder between a program and
// its MySQL/MariaDB database, so that one program's database can be cut and
// restored while the others keep theirs.
package dbforward

import (
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/go-sql-driver/mysql"
)

// Forwarder forwards TCP connections from a loopback port to a database
// (over TCP or its unix socket) until it is cut: a fault a test or the mesh
// lab injects between one program and its database.
type Forwarder struct {
	ln            net.Listener
	network, addr string // the database

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// New starts a forwarder to the database of dsn (a go-sql-driver/mysql DSN)
// and returns it with the DSN that reaches the same database through it.
func New(dsn string) (*Forwarder, string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("database forwarder: DSN: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("database forwarder: %w", err)
	}
	f := &Forwarder{ln: ln, network: cfg.Net, addr: cfg.Addr, conns: map[net.Conn]bool{}}
	if f.network == "" {
		f.network = "tcp"
	}
	cfg.Net, cfg.Addr = "tcp", ln.Addr().String()
	f.wg.Add(1)
	go f.serve()
	return f, cfg.FormatDSN(), nil
}

func (f *Forwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return // closed
		}
		f.mu.Lock()
		if f.cut {
			f.mu.Unlock()
			c.Close()
			continue
		}
		f.conns[c] = true
		f.mu.Unlock()
		f.wg.Add(1)
		go f.forward(c)
	}
}

// forward copies both ways between c and a new connection to the database.
func (f *Forwarder) forward(c net.Conn) {
	defer f.wg.Done()
	defer f.drop(c)
	db, err := net.Dial(f.network, f.addr)
	if err != nil {
		return
	}
	f.mu.Lock()
	if f.cut {
		f.mu.Unlock()
		db.Close()
		return
	}
	f.conns[db] = true
	f.mu.Unlock()
	defer f.drop(db)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(db, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, db); done <- struct{}{} }()
	<-done // one side ended: end both
	c.Close()
	db.Close()
	<-done
}

func (f *Forwarder) drop(c net.Conn) {
	c.Close()
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

// Cut closes every forwarded connection and refuses new ones until Restore.
func (f *Forwarder) Cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cut = true
	for c := range f.conns {
		c.Close()
	}
}

// Restore lets connections through again.
func (f *Forwarder) Restore() {
	f.mu.Lock()
	f.cut = false
	f.mu.Unlock()
}

// Close stops the forwarder and ends its connections.
func (f *Forwarder) Close() {
	f.ln.Close()
	f.Cut()
	f.wg.Wait()
}
