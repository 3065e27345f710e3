package mariadbtest_test

import (
	"context"
	"database/sql"
	"testing"

	"microwizard/internal/testenv/mariadbtest"
)

func TestStopAndStartAgain(t *testing.T) {
	s := mariadbtest.StartServer(t)
	dsn, err := s.CreateDatabase(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatalf("ping a running server: %v", err)
	}
	s.Stop()
	db.SetMaxIdleConns(0)
	if err := db.Ping(); err == nil {
		t.Fatal("ping succeeded with the server stopped")
	}
	s.StartAgain()
	if err := db.Ping(); err != nil {
		t.Fatalf("ping after the restart: %v", err)
	}
}
