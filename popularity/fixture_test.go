package popularity

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"microwizard/internal/testenv/mariadbtest"
)

// world builds small hand-made Lobsters data for tests. Karma is recomputed
// from the votes by syncKarma, the way Lobsters keeps it: the sum of votes
// received on one's stories and comments, self-votes excluded.
type world struct {
	t  *testing.T
	db *sql.DB
	id map[string]int64 // username -> user id

	stories int // how many stories so far, for unique short ids
}

func newWorld(t *testing.T, db *sql.DB) *world {
	return &world{t: t, db: db, id: map[string]int64{}}
}

func (w *world) exec(query string, args ...any) int64 {
	w.t.Helper()
	res, err := w.db.ExecContext(context.Background(), query, args...)
	if err != nil {
		w.t.Fatalf("%s: %v", query, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		w.t.Fatalf("%s: last insert id: %v", query, err)
	}
	return id
}

// user adds users; a name starting with "!" is banned (the "!" is dropped).
func (w *world) user(names ...string) {
	w.t.Helper()
	for _, n := range names {
		banned := n[0] == '!'
		if banned {
			n = n[1:]
		}
		w.id[n] = w.exec(`INSERT INTO users (username, banned_at) VALUES (?, IF(?, NOW(), NULL))`, n, banned)
	}
}

// story adds a story by author and returns its id.
func (w *world) story(author string) int64 {
	w.t.Helper()
	w.stories++
	return w.exec(`INSERT INTO stories (user_id, short_id, title) VALUES (?, ?, 'a story')`,
		w.id[author], fmt.Sprintf("s%05d", w.stories))
}

// comment adds a comment by author on story and returns its id.
func (w *world) comment(author string, story int64) int64 {
	w.t.Helper()
	return w.exec(`INSERT INTO comments (story_id, user_id, comment) VALUES (?, ?, 'a comment')`, story, w.id[author])
}

// storyVotes records votes on a story: voter name -> +1 or -1.
func (w *world) storyVotes(story int64, votes map[string]int) {
	w.t.Helper()
	for voter, v := range votes {
		w.exec(`INSERT INTO votes (user_id, story_id, vote) VALUES (?, ?, ?)`, w.id[voter], story, v)
	}
}

// commentVotes records votes on a comment: voter name -> +1 or -1.
func (w *world) commentVotes(comment int64, votes map[string]int) {
	w.t.Helper()
	for voter, v := range votes {
		w.exec(`INSERT INTO votes (user_id, story_id, comment_id, vote)
			SELECT ?, story_id, id, ? FROM comments WHERE id = ?`, w.id[voter], v, comment)
	}
}

// syncKarma sets every user's karma from the votes, in one set-based UPDATE.
func (w *world) syncKarma() {
	w.t.Helper()
	w.exec(`UPDATE users u SET karma =
		COALESCE((SELECT SUM(v.vote) FROM votes v JOIN stories s ON s.id = v.story_id
			WHERE v.comment_id IS NULL AND s.user_id = u.id AND v.user_id <> u.id), 0) +
		COALESCE((SELECT SUM(v.vote) FROM votes v JOIN comments c ON c.id = v.comment_id
			WHERE c.user_id = u.id AND v.user_id <> u.id), 0)`)
}

// smallWorld is the data most tests read. By hand:
//
//	Zed    3  (comment on alice's story: +alice +bob +carol)
//	alice  3  (story: +bob +carol +dave, her own +1 does not count)
//	bob    3  (story: +alice +carol = 2; comment: +alice = 1)
//	carol  1  (comment: +alice -bob, her own +1 does not count = 0; story: +dave = 1)
//	dave   0
//	frank -1  (story: -alice)
//	erin   4  but banned
//
// "Zed" sorts before "alice": usernames compare byte by byte.
func smallWorld(t *testing.T, db *sql.DB) []User {
	w := newWorld(t, db)
	w.user("alice", "bob", "carol", "dave", "!erin", "Zed", "frank")
	a1, b1, c1, e1, f1 := w.story("alice"), w.story("bob"), w.story("carol"), w.story("erin"), w.story("frank")
	w.storyVotes(a1, map[string]int{"bob": 1, "carol": 1, "dave": 1, "alice": 1})
	w.storyVotes(b1, map[string]int{"alice": 1, "carol": 1})
	w.storyVotes(c1, map[string]int{"dave": 1})
	w.storyVotes(e1, map[string]int{"alice": 1, "bob": 1, "carol": 1, "dave": 1})
	w.storyVotes(f1, map[string]int{"alice": -1})
	w.commentVotes(w.comment("bob", a1), map[string]int{"alice": 1})
	w.commentVotes(w.comment("carol", b1), map[string]int{"alice": 1, "bob": -1, "carol": 1})
	w.commentVotes(w.comment("Zed", a1), map[string]int{"alice": 1, "bob": 1, "carol": 1})
	w.syncKarma()
	return []User{{"Zed", 3}, {"alice", 3}, {"bob", 3}, {"carol", 1}, {"dave", 0}, {"frank", -1}}
}

// tableLock is a table of a test database held with LOCK TABLES ... WRITE on
// a connection of its own: every other session's query that reads the
// table waits inside the database until unlock.
type tableLock struct {
	t     *testing.T
	db    *mariadbtest.DB
	table string
	conn  *sql.Conn
}

// lockTable takes the write lock of table in db; the test's end lets it go.
func lockTable(t *testing.T, db *mariadbtest.DB, table string) *tableLock {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatalf("lock %s: %v", table, err)
	}
	if _, err := conn.ExecContext(context.Background(), "LOCK TABLES `"+table+"` WRITE"); err != nil {
		conn.Close()
		t.Fatalf("lock %s: %v", table, err)
	}
	l := &tableLock{t: t, db: db, table: table, conn: conn}
	t.Cleanup(l.unlock)
	return l
}

// waitForBlocked returns once n sessions of the database wait for a table
// lock: the queries the test started are inside the database, held. It
// fails the test if they are not there within 10 s.
func (l *tableLock) waitForBlocked(n int) {
	l.t.Helper()
	var waiting int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		err := l.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM information_schema.PROCESSLIST
			WHERE DB = ? AND STATE LIKE 'Waiting for table%lock'`, l.db.Name).Scan(&waiting)
		if err != nil {
			l.t.Fatalf("sessions waiting for the lock of %s: %v", l.table, err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%d sessions wait for the lock of %s after 10 s, want %d", waiting, l.table, n)
		}
	}
}

// unlock lets the table go, and the queries waiting for it run. Calling it
// again does nothing.
func (l *tableLock) unlock() {
	if l.conn == nil {
		return
	}
	if _, err := l.conn.ExecContext(context.Background(), "UNLOCK TABLES"); err != nil {
		l.t.Errorf("unlock %s: %v", l.table, err)
	}
	l.conn.Close()
	l.conn = nil
}
