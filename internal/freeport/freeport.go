// Package freeport finds TCP ports that are free on 127.0.0.1, for the
// processes a test or the mesh lab starts on this host.
package freeport

import (
	"fmt"
	"net"
)

// Ports returns n distinct TCP ports free on 127.0.0.1 right now. They are
// released before Ports returns, so another process may take one before the
// caller binds it.
func Ports(n int) ([]int, error) {
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
