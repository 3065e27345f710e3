// Package lobsters is the monolith of the Microwizard demo: a small Go stand-in
// for the Lobsters web site that renders stories, comments and profiles from the
// Lobsters database and, on /popular, asks the popularity microservice for the
// most popular users.
//
// Only /popular talks to the service. It gets one shared, tuned HTTP client
// made when the App is created, an upstream deadline long enough for a slow
// service version, and a classification of every way the call can end
// (Outcome) so that the page is slow at worst, never broken, and every other
// page keeps answering while /popular waits.
package lobsters
