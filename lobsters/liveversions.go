package lobsters

import (
	"bufio"
	"bytes"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"microwizard/internal/personal"
)

// liveVersion is one live private version: who runs it and until when
// (the zero time: no expiry).
type liveVersion struct {
	Name, Owner string
	Expires     time.Time
}

// live reports whether the version is live at now.
func (v liveVersion) live(now time.Time) bool { return v.Expires.IsZero() || now.Before(v.Expires) }

// liveVersions is the file of live private versions a Nomad template
// renders from Consul (jobs/lobsters.nomad.hcl): one per line,
// NAME<TAB>OWNER<TAB>EXPIRES (RFC 3339, or empty for none); blank lines
// and lines starting with # are skipped, a version on several lines (one
// per instance) is one. It is read again when its size or modification
// time changes, looked at at most once a second. A file that cannot be
// read means no version is live (closed, not open), logged once until it
// changes.
type liveVersions struct {
	path string
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex
	checked  time.Time
	size     int64
	mod      time.Time
	failed   string
	versions map[string]liveVersion
}

func newLiveVersions(path string, log *slog.Logger) *liveVersions {
	return &liveVersions{path: path, log: log, now: time.Now}
}

// lookup is the live private version named name, if there is one.
func (l *liveVersions) lookup(name string) (liveVersion, bool) {
	if l == nil || !personal.ValidName(name) {
		return liveVersion{}, false
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.checked) >= time.Second || l.checked.IsZero() {
		l.checked = now
		l.refresh()
	}
	v, ok := l.versions[name]
	return v, ok && v.live(now)
}

// refresh reads the file again if it changed (l.mu held).
func (l *liveVersions) refresh() {
	info, err := os.Stat(l.path)
	if err == nil && l.failed == "" && l.versions != nil && info.Size() == l.size && info.ModTime().Equal(l.mod) {
		return
	}
	var b []byte
	if err == nil {
		b, err = os.ReadFile(l.path)
	}
	if err != nil {
		l.versions = nil
		if msg := err.Error(); msg != l.failed {
			l.failed = msg
			l.log.Warn("no private version is live: the versions file cannot be read", "file", l.path, "err", err)
		}
		return
	}
	l.failed, l.size, l.mod = "", info.Size(), info.ModTime()
	l.versions = parseLiveVersions(b, l.log)
}

// parseLiveVersions reads the file's lines; a malformed one is logged and
// skipped.
func parseLiveVersions(b []byte, log *slog.Logger) map[string]liveVersion {
	out := map[string]liveVersion{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		for len(f) < 3 {
			f = append(f, "")
		}
		v := liveVersion{Name: f[0], Owner: f[1]}
		if !personal.ValidName(v.Name) {
			log.Warn("versions file: not a version name; line skipped", "line", n)
			continue
		}
		if e := strings.TrimSpace(f[2]); e != "" {
			t, err := time.Parse(time.RFC3339, e)
			if err != nil {
				log.Warn("versions file: expiry is not RFC 3339; line skipped", "line", n, "version", v.Name)
				continue
			}
			v.Expires = t
		}
		out[v.Name] = v
	}
	return out
}
