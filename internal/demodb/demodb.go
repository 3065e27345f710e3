// Package demodb names the demo's database as the programs find it when
// nothing else is said: the MySQL of `just up` (jobs/mysql.nomad.hcl), on
// its unix socket. The monolith, its database tool and the popularity
// service share it, and read another from the environment alike (FromEnv).
package demodb

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// DSN is the demo's database on the local server, as LOBSTERS_DSN.
const DSN = "lobsters:lobsters@unix(/run/microwizard/mysqld.sock)/lobsters?parseTime=true"

// FromEnv is LOBSTERS_DSN, or the content of the file LOBSTERS_DSN_FILE
// names (a secret a Nomad template put in the task's secrets directory, so
// that the job holds no password), trailing line breaks trimmed; "" when
// neither is set. Both set is an error: which one is meant?
func FromEnv(getenv func(string) string) (string, error) {
	dsn, file := getenv("LOBSTERS_DSN"), getenv("LOBSTERS_DSN_FILE")
	switch {
	case dsn != "" && file != "":
		return "", errors.New("LOBSTERS_DSN and LOBSTERS_DSN_FILE are both set: set one")
	case file == "":
		return dsn, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("LOBSTERS_DSN_FILE: %w", err)
	}
	dsn = strings.TrimRight(string(b), "\r\n")
	if dsn == "" {
		return "", fmt.Errorf("LOBSTERS_DSN_FILE: %s is empty", file)
	}
	return dsn, nil
}
