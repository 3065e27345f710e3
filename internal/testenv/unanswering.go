package testenv

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

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
