package lobsters

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
)

// A page with no version chosen and no baggage pays nothing for personal
// versions: no allocation to choose one, none to build the baggage; nor
// does any request where personal routing is off, baggage or not.
func TestNoVersionCostsNothing(t *testing.T) {
	on := &App{cfg: Config{PersonalVersions: true}, live: newLiveVersions(filepath.Join(t.TempDir(), "none"), slog.New(slog.DiscardHandler))}
	off := &App{}
	w := httptest.NewRecorder()
	plain := httptest.NewRequest(http.MethodGet, "/popular", nil)
	outsider := httptest.NewRequest(http.MethodGet, "/popular?svctl-version=lobpop_v2", nil)
	outsider.Header.Set("Baggage", "svctl-version=lobpop_v2,userId=admin")
	for what, c := range map[string]struct {
		a *App
		r *http.Request
	}{"no choice, no baggage": {on, plain}, "personal routing off": {off, outsider}} {
		allocs := testing.AllocsPerRun(100, func() {
			rr := c.a.chooseVersion(w, c.r)
			if v, b := c.a.serviceBaggage(rr); v != "" || b != "" {
				t.Fatalf("%s: serviceBaggage = %q, %q, want nothing", what, v, b)
			}
		})
		if allocs > 0 {
			t.Errorf("%s: choosing no version and sending no baggage allocated %.0f times per request, want 0", what, allocs)
		}
	}
}
