package lobsters

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A page with no version chosen and no baggage pays nothing for personal
// versions: no allocation to choose one, none to build the baggage.
func TestNoVersionCostsNothing(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/popular", nil)
	allocs := testing.AllocsPerRun(100, func() {
		rr := chooseVersion(w, r)
		if v, b := serviceBaggage(rr); v != "" || b != "" {
			t.Fatalf("serviceBaggage = %q, %q, want nothing", v, b)
		}
	})
	if allocs > 0 {
		t.Errorf("choosing no version and sending no baggage allocated %.0f times per request, want 0", allocs)
	}
}
