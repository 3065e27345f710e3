// Package demodb names the demo's database as the programs find it when
// nothing else is said: the MySQL of `just up` (jobs/mysql.nomad.hcl), on
// its unix socket. The monolith, its database tool and the popularity
// service share it; the pack's dsn variable says it for the jobs.
package demodb

// DSN is the demo's database on the local server, as LOBSTERS_DSN.
const DSN = "lobsters:lobsters@unix(/run/microwizard/mysqld.sock)/lobsters?parseTime=true"
