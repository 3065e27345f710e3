// Package admindsn says which MariaDB/MySQL account creates and drops the
// scratch databases of tests and benchmarks: the DSN in
// LOBSTERS_TEST_ADMIN_DSN, by default root over the local unix socket (what
// `just db` and .ci/run start).
package admindsn

import "os"

// Default reaches a local server as root over its unix socket.
const Default = "root@unix(/run/mysqld/mysqld.sock)/"

// FromEnv returns LOBSTERS_TEST_ADMIN_DSN, or Default when it is unset.
func FromEnv() string {
	if v := os.Getenv("LOBSTERS_TEST_ADMIN_DSN"); v != "" {
		return v
	}
	return Default
}
