package freeport

import (
	"net"
	"strconv"
	"testing"
)

// TestPorts: the ports are distinct and free once Ports has returned.
func TestPorts(t *testing.T) {
	ports, err := Ports(5)
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 5 {
		t.Fatalf("%d ports, want 5", len(ports))
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] {
			t.Fatalf("port %d twice in %v", p, ports)
		}
		seen[p] = true
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d not free after Ports returned: %v", p, err)
		}
		l.Close()
	}
}
