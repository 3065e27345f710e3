package agents

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
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
	_, err = Nomad(context.Background())
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), dead) {
		t.Fatalf("nomad: %v; want an error naming %s without the password", err, dead)
	}
	for _, addr := range []string{"http://admin:p%zz@" + dead, "http://s3cret-pw@" + dead} {
		t.Setenv("NOMAD_ADDR", addr)
		if _, err := Nomad(context.Background()); err == nil || strings.Contains(err.Error(), "s3cret-pw") || strings.Contains(err.Error(), "p%zz") {
			t.Errorf("nomad at %s: %v; want an error without the credentials", addr, err)
		}
	}
	t.Setenv("CONSUL_HTTP_ADDR", "http://admin:s3cret-pw@"+dead)
	_, err = Consul(context.Background())
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), dead) {
		t.Fatalf("consul: %v; want an error naming %s without the password", err, dead)
	}
}

// TestAnAgentThatNeverAnswersDoesNotHang: an address that accepts
// connections and never answers gives the one-line error within the time
// limit, for both agents.
func TestAnAgentThatNeverAnswersDoesNotHang(t *testing.T) {
	addr := silentListener(t)
	t.Setenv("SVCTL_AGENT_TIMEOUT", "1s")
	t.Setenv("NOMAD_ADDR", "http://"+addr)
	t.Setenv("CONSUL_HTTP_ADDR", addr)
	for name, connect := range map[string]func() error{
		"nomad":  func() error { _, err := Nomad(context.Background()); return err },
		"consul": func() error { _, err := Consul(context.Background()); return err },
	} {
		start := time.Now()
		err := connect()
		if err == nil || !strings.Contains(err.Error(), "no agent answers at") {
			t.Errorf("%s: %v, want no agent answers", name, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: took %s with a 1 s limit", name, took)
		}
	}
}
