package lobsters

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:3000" || c.PopularityURL != "http://127.0.0.1:8000/" ||
		c.PopularityTimeout != 20*time.Second || !c.PopularityKeepAlive ||
		c.DSN != "lobsters:lobsters@unix(/run/microwizard/mysqld.sock)/lobsters?parseTime=true" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadConfigFromEnvironment(t *testing.T) {
	c, err := LoadConfig(env(map[string]string{
		"LOBSTERS_ADDR":        "127.0.0.1:3100",
		"LOBSTERS_DSN":         "u:p@tcp(127.0.0.1:3306)/l?parseTime=true",
		"POPULARITY_URL":       "http://127.0.0.1:9000/lobsters-popularity",
		"POPULARITY_TIMEOUT":   "45s",
		"POPULARITY_KEEPALIVE": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:3100" || c.DSN != "u:p@tcp(127.0.0.1:3306)/l?parseTime=true" ||
		c.PopularityURL != "http://127.0.0.1:9000/lobsters-popularity" ||
		c.PopularityTimeout != 45*time.Second || c.PopularityKeepAlive {
		t.Errorf("config = %+v", c)
	}
}

func TestLoadConfigRejectsBadValues(t *testing.T) {
	for k, v := range map[string]string{
		"POPULARITY_TIMEOUT":   "twenty",
		"POPULARITY_KEEPALIVE": "perhaps",
		"POPULARITY_URL":       "127.0.0.1:8000",
	} {
		if _, err := LoadConfig(env(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%q: err = %v, want an error naming %s", k, v, err, k)
		}
	}
	if _, err := LoadConfig(env(map[string]string{"POPULARITY_TIMEOUT": "-1s"})); err == nil {
		t.Errorf("a negative timeout was accepted")
	}
}

func TestServerWriteTimeoutOutlastsTheUpstream(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 20 * time.Second, 2 * time.Minute} {
		cfg := DefaultConfig()
		cfg.PopularityTimeout = d
		srv := NewServer(cfg, nil, nil)
		if srv.WriteTimeout <= d {
			t.Errorf("upstream timeout %s: WriteTimeout %s does not outlast it", d, srv.WriteTimeout)
		}
		if srv.ReadHeaderTimeout == 0 || srv.IdleTimeout == 0 {
			t.Errorf("server has no ReadHeaderTimeout/IdleTimeout")
		}
	}
}
