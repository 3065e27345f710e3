package popularity

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// env makes a getenv from pairs.
func env(pairs map[string]string) func(string) string {
	return func(k string) string { return pairs[k] }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := ConfigFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		DSN:             DefaultDSN,
		Addr:            "127.0.0.1:5000",
		RequestTimeout:  30 * time.Second,
		HealthTimeout:   time.Second,
		ShutdownTimeout: 30 * time.Second,
		DBConns:         1,
		DBWait:          500 * time.Millisecond,
		LogLevel:        slog.LevelInfo,
		Version:         "",
		Instance:        hostname(),
	}
	if cfg != want {
		t.Fatalf("defaults\n got %+v\nwant %+v", cfg, want)
	}
	dsn, err := mysql.ParseDSN(cfg.DSN)
	if err != nil || dsn.Net != "unix" || dsn.Addr != "/run/microwizard/mysqld.sock" || dsn.DBName != "lobsters" {
		t.Fatalf("default DSN %q: %+v %v, want the lobsters database over the local unix socket", cfg.DSN, dsn, err)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	cfg, err := ConfigFromEnv(env(map[string]string{
		"LOBSTERS_DSN":                "u:p@tcp(127.0.0.1:3306)/lobsters",
		"POPULARITY_ADDR":             "0.0.0.0:8080",
		"POPULARITY_REQUEST_TIMEOUT":  "12s",
		"POPULARITY_HEALTH_TIMEOUT":   "250ms",
		"POPULARITY_SHUTDOWN_TIMEOUT": "1m",
		"POPULARITY_DB_CONNS":         "3",
		"POPULARITY_DB_WAIT":          "2s",
		"POPULARITY_LOG_LEVEL":        "WARN",
		"SERVICE_VERSION":             "lobpop_v2",
		"SERVICE_INSTANCE":            "instance-7",
		"NOMAD_ALLOC_ID":              "alloc-ignored",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		DSN: "u:p@tcp(127.0.0.1:3306)/lobsters", Addr: "0.0.0.0:8080",
		RequestTimeout: 12 * time.Second, HealthTimeout: 250 * time.Millisecond, ShutdownTimeout: time.Minute,
		DBConns: 3, DBWait: 2 * time.Second, LogLevel: slog.LevelWarn, Version: "lobpop_v2", Instance: "instance-7",
	}
	if cfg != want {
		t.Fatalf("\n got %+v\nwant %+v", cfg, want)
	}
	id := cfg.Identity()
	if id.Version != "lobpop_v2" || id.Instance != "instance-7" || id.ServiceID == "" {
		t.Fatalf("identity %+v", id)
	}
}

func TestInstanceFallsBackToNomadAllocID(t *testing.T) {
	cfg, err := ConfigFromEnv(env(map[string]string{"NOMAD_ALLOC_ID": "5f3a-alloc"}))
	if err != nil || cfg.Instance != "5f3a-alloc" {
		t.Fatalf("with NOMAD_ALLOC_ID only: instance %q (%v), want 5f3a-alloc", cfg.Instance, err)
	}
}

func TestBadConfigNamesTheVariable(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"LOBSTERS_DSN", "no database here"},
		{"POPULARITY_REQUEST_TIMEOUT", "soon"},
		{"POPULARITY_REQUEST_TIMEOUT", "-1s"},
		{"POPULARITY_HEALTH_TIMEOUT", "0"},
		{"POPULARITY_SHUTDOWN_TIMEOUT", "30"},
		{"POPULARITY_DB_WAIT", "soon"},
		{"POPULARITY_DB_WAIT", "500"},
		{"POPULARITY_DB_WAIT", "0s"},
		{"POPULARITY_DB_WAIT", "-500ms"},
		{"POPULARITY_LOG_LEVEL", "verbose"},
		{"POPULARITY_LOG_LEVEL", "warning"},
	} {
		_, err := ConfigFromEnv(env(map[string]string{tc.name: tc.value}))
		if err == nil || !strings.HasPrefix(err.Error(), tc.name+": ") {
			t.Errorf("%s=%q: error %v, want one naming %s", tc.name, tc.value, err, tc.name)
		}
	}
}

func TestOpenDBBoundsThePool(t *testing.T) {
	db, err := OpenDB(DefaultDSN, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := db.Stats().MaxOpenConnections; n != 3 {
		t.Fatalf("max open connections %d, want 3", n)
	}
}

func TestDBConnsFromEnv(t *testing.T) {
	cfg, err := ConfigFromEnv(env(nil))
	if err != nil || cfg.DBConns != DefaultDBConns {
		t.Fatalf("default DBConns = %d (%v), want %d", cfg.DBConns, err, DefaultDBConns)
	}
	if cfg, err := ConfigFromEnv(env(map[string]string{"POPULARITY_DB_CONNS": "4"})); err != nil || cfg.DBConns != 4 {
		t.Fatalf("POPULARITY_DB_CONNS=4: %d (%v)", cfg.DBConns, err)
	}
	for _, bad := range []string{"0", "-1", "two"} {
		if _, err := ConfigFromEnv(env(map[string]string{"POPULARITY_DB_CONNS": bad})); err == nil || !strings.HasPrefix(err.Error(), "POPULARITY_DB_CONNS: ") {
			t.Errorf("POPULARITY_DB_CONNS=%q: error %v, want one naming it", bad, err)
		}
	}
}

func TestLogLevelFromEnv(t *testing.T) {
	for v, want := range map[string]slog.Level{
		"": slog.LevelInfo, "debug": slog.LevelDebug, "info": slog.LevelInfo,
		"warn": slog.LevelWarn, "Error": slog.LevelError,
	} {
		cfg, err := ConfigFromEnv(env(map[string]string{"POPULARITY_LOG_LEVEL": v}))
		if err != nil || cfg.LogLevel != want {
			t.Errorf("POPULARITY_LOG_LEVEL=%q: %v (%v), want %v", v, cfg.LogLevel, err, want)
		}
	}
	_, err := ConfigFromEnv(env(map[string]string{"POPULARITY_LOG_LEVEL": "loud"}))
	if want := `POPULARITY_LOG_LEVEL: want debug, info, warn or error, got "loud"`; err == nil || err.Error() != want {
		t.Errorf("POPULARITY_LOG_LEVEL=loud: error %v, want %q", err, want)
	}
}

func TestDBWaitFromEnv(t *testing.T) {
	cfg, err := ConfigFromEnv(env(map[string]string{"POPULARITY_DB_WAIT": "250ms"}))
	if err != nil || cfg.DBWait != 250*time.Millisecond {
		t.Fatalf("POPULARITY_DB_WAIT=250ms: %s (%v)", cfg.DBWait, err)
	}
	_, err = ConfigFromEnv(env(map[string]string{"POPULARITY_DB_WAIT": "0"}))
	if want := "POPULARITY_DB_WAIT: must be positive, got 0"; err == nil || err.Error() != want {
		t.Errorf("POPULARITY_DB_WAIT=0: error %v, want %q", err, want)
	}
}

// The DSN can come from a file (a Nomad template's secret) instead of the
// environment; both at once, an empty file and a missing one are refused.
func TestConfigDSNFromFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lobsters_dsn")
	const dsn = "u:secret@tcp(127.0.0.1:3306)/lobsters?parseTime=true"
	if err := os.WriteFile(file, []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, err := ConfigFromEnv(env(map[string]string{"LOBSTERS_DSN_FILE": file}))
	if err != nil || cfg.DSN != dsn {
		t.Fatalf("from the file: DSN %q, %v; want %q", cfg.DSN, err, dsn)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LOBSTERS_DSN_FILE": file, "LOBSTERS_DSN": dsn}, "both set"},
		{map[string]string{"LOBSTERS_DSN_FILE": empty}, "is empty"},
		{map[string]string{"LOBSTERS_DSN_FILE": filepath.Join(dir, "none")}, "no such file"},
	} {
		_, err := ConfigFromEnv(env(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: %v, want an error saying %q and not the password", c.env, err, c.want)
		}
	}
}
