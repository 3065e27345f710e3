package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"

	"microwizard/lobsters/schema"
)

// scratchDB is a database of the run's own, migrated, dropped by drop.
type scratchDB struct {
	*sql.DB
	name, dsn, admin string
}

// createDB creates and migrates a new database named meshbench_<random>.
func createDB(ctx context.Context, admin string) (*scratchDB, error) {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := "meshbench_" + hex.EncodeToString(rnd[:])
	a, err := sql.Open("mysql", admin)
	if err != nil {
		return nil, fmt.Errorf("admin DSN: %w", err)
	}
	defer a.Close()
	if _, err := a.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		return nil, fmt.Errorf("create database %s on %s: %w", name, admin, err)
	}
	cfg, err := mysql.ParseDSN(admin)
	if err != nil {
		return nil, fmt.Errorf("admin DSN: %w", err)
	}
	cfg.DBName, cfg.ParseTime = name, true
	d := &scratchDB{name: name, dsn: cfg.FormatDSN(), admin: admin}
	if d.DB, err = sql.Open("mysql", d.dsn); err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	if _, err := schema.Migrate(ctx, d.DB); err != nil {
		d.drop()
		return nil, fmt.Errorf("migrate %s: %w", name, err)
	}
	return d, nil
}

// drop closes and drops the database, even when the run's context has ended.
func (d *scratchDB) drop() error {
	d.DB.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := sql.Open("mysql", d.admin)
	if err != nil {
		return fmt.Errorf("drop %s: %w", d.name, err)
	}
	defer a.Close()
	if _, err := a.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+d.name+"`"); err != nil {
		return fmt.Errorf("drop %s: %w", d.name, err)
	}
	return nil
}
