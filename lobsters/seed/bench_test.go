package seed_test

import (
	"context"
	"testing"

	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters/seed"
)

// BenchmarkSeedDefault seeds the Default size into an empty database; run it
// with -benchtime 1x for one seeding.
func BenchmarkSeedDefault(b *testing.B) {
	ctx := context.Background()
	db := mariadbtest.New(b)
	rows := 0
	for b.Loop() {
		b.StopTimer()
		if err := seed.Reset(ctx, db.DB); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		st, err := seed.Seed(ctx, db.DB, seed.Default, 1)
		if err != nil {
			b.Fatal(err)
		}
		rows += st.Rows()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
