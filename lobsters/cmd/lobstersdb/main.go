// Command lobstersdb prepares the Lobsters demo database: it applies the schema
// migrations and fills the tables with deterministic demo data.
//
// Usage:
//
//	lobstersdb migrate [-dsn DSN]
//	lobstersdb seed [-dsn DSN] [-users N -stories N -comments N -votes N | -scale F] [-seed N] [-reset]
//
// The database is the DSN in LOBSTERS_DSN, or
// lobsters:lobsters@unix(/run/microwizard/mysqld.sock)/lobsters?parseTime=true when
// that is unset; -dsn overrides both. Exit status: 0 on success, 1 when the
// work failed, 2 for a usage error.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	_ "github.com/go-sql-driver/mysql"

	"microwizard/internal/demodb"
	"microwizard/lobsters/schema"
	"microwizard/lobsters/seed"
)

// defaultDSN is the demo's database on the local server.
const defaultDSN = demodb.DSN

const usage = `usage:
  lobstersdb migrate [-dsn DSN]
  lobstersdb seed [-dsn DSN] [-users N -stories N -comments N -votes N | -scale F] [-seed N] [-reset]

The database is $LOBSTERS_DSN, else ` + defaultDSN + `.
`

// usageError is a mistake in the command line; it exits with status 2.
type usageError string

func (e usageError) Error() string { return string(e) }

func usagef(format string, args ...any) error { return usageError(fmt.Sprintf(format, args...)) }

// errReported is a command-line error the flag package already printed.
var errReported = errors.New("usage error reported")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run carries out one command and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "migrate":
		err = migrate(ctx, rest, stdout, stderr)
	case "seed":
		err = seedDB(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usagef("unknown command %q", cmd)
	}
	var usageErr usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errReported):
		return 2
	case errors.As(err, &usageErr):
		fmt.Fprintf(stderr, "lobstersdb: %v\n%s", err, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "lobstersdb: %v\n", err)
		return 1
	}
}

// flags returns a flag set for a command with its -dsn flag, which it stores
// in dsn. Its usage message shows synopsis and the flags.
func flags(synopsis string, dsn *string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("lobstersdb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: lobstersdb %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	fs.StringVar(dsn, "dsn", "", "database `DSN` (default $LOBSTERS_DSN, else "+defaultDSN+")")
	return fs
}

// resolveDSN returns the -dsn flag's value, else $LOBSTERS_DSN, else defaultDSN.
func resolveDSN(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("LOBSTERS_DSN"); env != "" {
		return env
	}
	return defaultDSN
}

// parse parses args, which must hold only flags.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errReported // the flag package printed the error and usage
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// open connects to the database the -dsn flag, the environment or the default
// names.
func open(ctx context.Context, dsnFlag string) (*sql.DB, error) {
	db, err := sql.Open("mysql", resolveDSN(dsnFlag))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var dsn string
	if err := parse(flags("migrate [-dsn DSN]", &dsn, stderr), args); err != nil {
		return err
	}
	db, err := open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := schema.Migrate(ctx, db)
	for _, name := range applied {
		fmt.Fprintf(stdout, "applied %s\n", name)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "schema up to date, nothing to apply")
	}
	return nil
}

func seedDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var dsn string
	fs := flags("seed [-dsn DSN] [-users N -stories N -comments N -votes N | -scale F] [-seed N] [-reset]", &dsn, stderr)
	size := seed.Default
	fs.IntVar(&size.Users, "users", size.Users, "number of users")
	fs.IntVar(&size.Stories, "stories", size.Stories, "number of stories")
	fs.IntVar(&size.Comments, "comments", size.Comments, "number of comments")
	fs.IntVar(&size.Votes, "votes", size.Votes, "number of votes")
	scale := fs.Float64("scale", 0, "seed the default size times `F` (not with -users, -stories, -comments, -votes)")
	seedValue := fs.Int64("seed", 1, "random seed: the same seed and size give the same rows")
	reset := fs.Bool("reset", false, "empty the users, stories, comments and votes tables first")
	if err := parse(fs, args); err != nil {
		return err
	}
	counts, scaled := false, false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "users", "stories", "comments", "votes":
			counts = true
		case "scale":
			scaled = true
		}
	})
	if counts && scaled {
		return usagef("-scale cannot be combined with -users, -stories, -comments or -votes")
	}
	if scaled {
		size = seed.Default.Scale(*scale)
	}
	if err := size.Validate(); err != nil {
		return usageError(err.Error())
	}

	db, err := open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if *reset {
		if err := seed.Reset(ctx, db); err != nil {
			return err
		}
	}
	st, err := seed.Seed(ctx, db, size, *seedValue)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintln(stdout, st)
	return nil
}
