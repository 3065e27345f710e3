package testenv

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// FreePorts returns n distinct TCP ports free on 127.0.0.1 right now. They
// are released before FreePorts returns, so another process may take one
// before the caller binds it.
func FreePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Unanswering listens on 127.0.0.1 and accepts every connection without
// ever answering, as a hung agent does. It returns its address and the
// number of connections accepted so far; the test's end closes them all.
func Unanswering(tb testing.TB) (addr string, accepted *atomic.Int64) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	accepted = new(atomic.Int64)
	var mu sync.Mutex
	var held []net.Conn
	tb.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			accepted.Add(1)
		}
	}()
	return l.Addr().String(), accepted
}
