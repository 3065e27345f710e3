package lobsters_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters"
)

// benchReply is a service answer of 25 users, the service's default limit.
func benchReply() string {
	var b strings.Builder
	b.WriteString(`{"service_id":"3f2a9c1e-sid","version":"lobpop_v1","instance":"bench","index":1,"query_ms":0.4,"users":[`)
	for i := range 25 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"username":"user%02d","karma":%d}`, i, 1000-i*10)
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkPopularOverhead measures what /popular adds over a bare call to
// the service: "service" is a GET of the in-process fake service over
// loopback, "popular" is the /popular page served in process (its shared
// client calling the same service, decoding, rendering). popular also
// reports overhead-ns/op, its time minus the bare call's.
func BenchmarkPopularOverhead(b *testing.B) {
	svc := httptest.NewServer(serveJSON(http.StatusOK, benchReply()))
	defer svc.Close()
	db := mariadbtest.New(b)
	app, err := lobsters.New(context.Background(), db.DB, testConfig(svc.URL+"/"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	handler := app.Handler()

	var bareNs float64
	b.Run("service", func(b *testing.B) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		defer client.CloseIdleConnections()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := client.Get(svc.URL + "/")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		bareNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("popular", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/popular", nil)
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "user24") {
				b.Fatalf("/popular = %d without the users:\n%s", rec.Code, rec.Body.String())
			}
		}
		if bareNs > 0 {
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(ns-bareNs, "overhead-ns/op")
		}
	})
}
