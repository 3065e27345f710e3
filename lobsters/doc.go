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
//
// The call also carries a personal version (package personal): the W3C
// baggage of the incoming request goes on, with the member svctl-version=NAME
// when the request names NAME, which the mesh routes to NAME's instances. A
// browser chooses NAME on any page with ?svctl-version=NAME, kept in a cookie
// and shown in a banner until ?svctl-version= clears it; /popular says when
// NAME had no instance and a shared version answered.
package lobsters
