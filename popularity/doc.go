// Package popularity is the lobsters-popularity microservice: it answers with
// the most popular Lobsters users by karma, read from the monolith's database.
//
// GET / returns the list with the instance's identity and a per-process request
// counter; GET /health reports whether the database answers. The query the
// service runs is chosen in one place, topUsers in users.go, which is the line
// the "Microservices In Action" tutorial edits to deploy a slow version.
package popularity
