package agents

import (
	"net"
	"strings"
	"testing"
)

// TestCredentialsInAddressesAreNotPrinted: an agent address carrying
// user:password gives an error that names the agent and the address, but
// not the password.
func TestCredentialsInAddressesAreNotPrinted(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	t.Setenv("NOMAD_ADDR", "http://admin:s3cret-pw@"+dead)
	_, err = Nomad()
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), dead) {
		t.Fatalf("nomad: %v; want an error naming %s without the password", err, dead)
	}
	t.Setenv("CONSUL_HTTP_ADDR", "http://admin:s3cret-pw@"+dead)
	_, err = Consul()
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), dead) {
		t.Fatalf("consul: %v; want an error naming %s without the password", err, dead)
	}
}
