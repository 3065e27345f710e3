package seed_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters/seed"
)

// seeded returns a fresh database seeded with size and seed.
func seeded(t *testing.T, size seed.Size, s int64) (*mariadbtest.DB, seed.Stats) {
	t.Helper()
	db := mariadbtest.New(t)
	st, err := seed.Seed(context.Background(), db.DB, size, s)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return db, st
}

// count runs a query returning one number.
func count(t *testing.T, db *mariadbtest.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// checksums returns CHECKSUM TABLE of each seeded table.
func checksums(t *testing.T, db *mariadbtest.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"users", "stories", "comments", "votes"} {
		var name string
		var sum int64
		if err := db.QueryRow("CHECKSUM TABLE "+table).Scan(&name, &sum); err != nil {
			t.Fatalf("checksum %s: %v", table, err)
		}
		out[table] = sum
	}
	return out
}

// receivedVotes is, per author, the votes cast on their stories and comments,
// self-votes included or not as the placeholder says.
const receivedVotes = `
	SELECT author, SUM(vote) AS karma FROM (
		SELECT s.user_id AS author, v.user_id AS voter, v.vote
		FROM votes v JOIN stories s ON s.id = v.story_id
		WHERE v.comment_id IS NULL
		UNION ALL
		SELECT c.user_id, v.user_id, v.vote
		FROM votes v JOIN comments c ON c.id = v.comment_id
	) received
	WHERE %s
	GROUP BY author`

func karmaMismatches(t *testing.T, db *mariadbtest.DB, filter string) int64 {
	return count(t, db, `SELECT COUNT(*) FROM users u LEFT JOIN (`+
		strings.Replace(receivedVotes, "%s", filter, 1)+
		`) k ON k.author = u.id WHERE u.karma <> COALESCE(k.karma, 0)`)
}

func TestKarmaIsVotesReceivedWithoutSelfVotes(t *testing.T) {
	db, st := seeded(t, seed.Small, 1)

	if n := karmaMismatches(t, db, "voter <> author"); n != 0 {
		t.Errorf("%d users' karma differs from the votes they received (self-votes excluded)", n)
	}
	selfVotes := count(t, db, `
		SELECT COUNT(*) FROM votes v
		LEFT JOIN stories s ON v.comment_id IS NULL AND s.id = v.story_id
		LEFT JOIN comments c ON c.id = v.comment_id
		WHERE v.user_id = COALESCE(c.user_id, s.user_id)`)
	if selfVotes == 0 || selfVotes != int64(st.SelfVotes) {
		t.Errorf("database has %d self-votes, Stats says %d; want the same, above zero", selfVotes, st.SelfVotes)
	}
	// Counting self-votes must give other numbers, or the check above proves nothing.
	if n := karmaMismatches(t, db, "TRUE"); n == 0 {
		t.Error("karma also matches with self-votes counted: the exclusion is not tested")
	}
	if n := count(t, db, `SELECT COUNT(*) FROM users WHERE karma > 0`); n < int64(seed.Small.Users)/4 {
		t.Errorf("only %d users have positive karma", n)
	}
}

func TestSameSeedGivesSameRows(t *testing.T) {
	a, sa := seeded(t, seed.Small, 42)
	b, sb := seeded(t, seed.Small, 42)
	c, _ := seeded(t, seed.Small, 43)

	ca, cb, cc := checksums(t, a), checksums(t, b), checksums(t, c)
	for table, sum := range ca {
		if sum == 0 {
			t.Errorf("%s: checksum 0, table empty?", table)
		}
		if cb[table] != sum {
			t.Errorf("%s: checksum %d, then %d with the same seed", table, sum, cb[table])
		}
		if cc[table] == sum {
			t.Errorf("%s: checksum %d with seeds 42 and 43 alike", table, sum)
		}
	}
	sa.Elapsed, sb.Elapsed = 0, 0
	if sa != sb {
		t.Errorf("stats differ with the same seed: %+v and %+v", sa, sb)
	}
}

func TestCountsMatchTheRows(t *testing.T) {
	size := seed.Small
	db, st := seeded(t, size, 1)

	got := seed.Size{
		Users:    int(count(t, db, `SELECT COUNT(*) FROM users`)),
		Stories:  int(count(t, db, `SELECT COUNT(*) FROM stories`)),
		Comments: int(count(t, db, `SELECT COUNT(*) FROM comments`)),
		Votes:    int(count(t, db, `SELECT COUNT(*) FROM votes`)),
	}
	if got != size {
		t.Errorf("tables hold %v, want %v", got, size)
	}
	if (seed.Size{Users: st.Users, Stories: st.Stories, Comments: st.Comments, Votes: st.Votes}) != size {
		t.Errorf("stats say %v, want %v", st, size)
	}
	if st.Rows() != size.Users+size.Stories+size.Comments+size.Votes || st.Elapsed <= 0 {
		t.Errorf("stats: %d rows in %v", st.Rows(), st.Elapsed)
	}

	zero := map[string]string{
		"stories whose comments_count is wrong": `
			SELECT COUNT(*) FROM stories s
			WHERE s.comments_count <> (SELECT COUNT(*) FROM comments c WHERE c.story_id = s.id)`,
		"stories whose upvotes or downvotes are wrong": `
			SELECT COUNT(*) FROM stories s
			WHERE s.upvotes <> (SELECT COUNT(*) FROM votes v WHERE v.story_id = s.id AND v.comment_id IS NULL AND v.vote = 1)
			   OR s.downvotes <> (SELECT COUNT(*) FROM votes v WHERE v.story_id = s.id AND v.comment_id IS NULL AND v.vote = -1)`,
		"comments whose upvotes or downvotes are wrong": `
			SELECT COUNT(*) FROM comments c
			WHERE c.upvotes <> (SELECT COUNT(*) FROM votes v WHERE v.comment_id = c.id AND v.vote = 1)
			   OR c.downvotes <> (SELECT COUNT(*) FROM votes v WHERE v.comment_id = c.id AND v.vote = -1)`,
		"comment votes whose story_id is not the comment's story": `
			SELECT COUNT(*) FROM votes v JOIN comments c ON c.id = v.comment_id WHERE v.story_id <> c.story_id`,
		"votes on missing stories, comments or by missing users": `
			SELECT COUNT(*) FROM votes v
			LEFT JOIN stories s ON s.id = v.story_id
			LEFT JOIN comments c ON c.id = v.comment_id
			LEFT JOIN users u ON u.id = v.user_id
			WHERE s.id IS NULL OR u.id IS NULL OR (v.comment_id IS NOT NULL AND c.id IS NULL)`,
		"users voting twice on one story or comment": `
			SELECT COUNT(*) FROM (SELECT 1 FROM votes GROUP BY user_id, story_id, comment_id HAVING COUNT(*) > 1) d`,
		"replies to a comment of another story, or to a later one": `
			SELECT COUNT(*) FROM comments c JOIN comments p ON p.id = c.parent_comment_id
			WHERE p.story_id <> c.story_id OR p.id >= c.id OR p.created_at > c.created_at`,
		"replies to a missing comment": `
			SELECT COUNT(*) FROM comments c LEFT JOIN comments p ON p.id = c.parent_comment_id
			WHERE c.parent_comment_id IS NOT NULL AND p.id IS NULL`,
		"comments on missing stories, by missing users, or older than their story": `
			SELECT COUNT(*) FROM comments c
			LEFT JOIN stories s ON s.id = c.story_id LEFT JOIN users u ON u.id = c.user_id
			WHERE s.id IS NULL OR u.id IS NULL OR c.created_at < s.created_at`,
		"stories by missing users, or older than their author": `
			SELECT COUNT(*) FROM stories s LEFT JOIN users u ON u.id = s.user_id
			WHERE u.id IS NULL OR s.created_at < u.created_at`,
	}
	for what, query := range zero {
		if n := count(t, db, query); n != 0 {
			t.Errorf("%d %s", n, what)
		}
	}

	replies := count(t, db, `SELECT COUNT(*) FROM comments WHERE parent_comment_id IS NOT NULL`)
	if replies < int64(size.Comments)/5 || replies > int64(size.Comments)/2 {
		t.Errorf("%d of %d comments are replies, want about 40%%", replies, size.Comments)
	}
	up := count(t, db, `SELECT COUNT(*) FROM votes WHERE vote = 1`)
	if up < int64(size.Votes)*8/10 || up == int64(size.Votes) {
		t.Errorf("%d of %d votes are upvotes, want most but not all", up, size.Votes)
	}
	commentVotes := count(t, db, `SELECT COUNT(*) FROM votes WHERE comment_id IS NOT NULL`)
	if commentVotes == 0 || commentVotes == int64(size.Votes) {
		t.Errorf("%d of %d votes are on comments, want some but not all", commentVotes, size.Votes)
	}
}

func TestUsersLookReal(t *testing.T) {
	db, st := seeded(t, seed.Small, 1)

	if n := count(t, db, `SELECT COUNT(*) FROM users WHERE username NOT REGEXP '^[a-z0-9]{3,24}$'`); n != 0 {
		t.Errorf("%d usernames are not 3-24 lowercase letters and digits", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM users WHERE about IS NULL OR about = ''`); n != 0 {
		t.Errorf("%d users have no about text", n)
	}
	banned := count(t, db, `SELECT COUNT(*) FROM users WHERE banned_at IS NOT NULL`)
	if banned == 0 || banned > int64(seed.Small.Users)*3/100 || banned != int64(st.Banned) {
		t.Errorf("%d of %d users banned (stats: %d), want about 2%%", banned, seed.Small.Users, st.Banned)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM users WHERE banned_at <= created_at`); n != 0 {
		t.Errorf("%d users banned before they joined", n)
	}
	years := count(t, db, `SELECT TIMESTAMPDIFF(YEAR, MIN(created_at), MAX(created_at)) FROM users`)
	if years < 3 {
		t.Errorf("users joined over %d years, want several", years)
	}
	// The data is dated against 2026-01-01, not the clock.
	if n := count(t, db, `SELECT COUNT(*) FROM users WHERE created_at >= '2026-01-01' OR banned_at >= '2026-01-01'`); n != 0 {
		t.Errorf("%d users joined or were banned after 2026-01-01", n)
	}
}

func TestStoriesLookReal(t *testing.T) {
	db, _ := seeded(t, seed.Small, 1)

	zero := map[string]string{
		"short_ids are not 6 of [a-z0-9]": `SELECT COUNT(*) FROM stories WHERE short_id NOT REGEXP '^[a-z0-9]{6}$'`,
		"stories have an empty title":     `SELECT COUNT(*) FROM stories WHERE title = ''`,
		"stories link outside example domains": `
			SELECT COUNT(*) FROM stories WHERE url IS NOT NULL AND url NOT REGEXP '^https://([a-z]+[.])?example[.](com|org|net)/'`,
		"stories have neither a link nor a text, or both": `
			SELECT COUNT(*) FROM stories WHERE (url IS NULL) = (description IS NULL)`,
		// hotness: log10 of the score's size, signed, plus age in 45000 s units
		"stories whose hotness does not follow from votes and age": `
			SELECT COUNT(*) FROM stories
			WHERE ABS(hotness - (SIGN(CAST(upvotes AS SIGNED) - CAST(downvotes AS SIGNED))
			                       * LOG10(GREATEST(ABS(CAST(upvotes AS SIGNED) - CAST(downvotes AS SIGNED)), 1))
			                     + TIMESTAMPDIFF(SECOND, '1970-01-01', created_at) / 45000)) > 1e-6`,
	}
	for what, query := range zero {
		if n := count(t, db, query); n != 0 {
			t.Errorf("%d %s", n, what)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM stories WHERE url IS NULL`); n == 0 {
		t.Error("no text posts")
	}
	if n := count(t, db, `SELECT COUNT(DISTINCT user_id) FROM stories`); n < int64(seed.Small.Users)/10 {
		t.Errorf("only %d users posted stories", n)
	}
}

func TestSeedingTwiceWithoutResetIsRefused(t *testing.T) {
	ctx := context.Background()
	db, _ := seeded(t, seed.Small, 1)
	before := checksums(t, db)

	_, err := seed.Seed(ctx, db.DB, seed.Small, 2)
	if !errors.Is(err, seed.ErrNotEmpty) || !strings.Contains(err.Error(), "reset") {
		t.Fatalf("second seed: err = %v, want ErrNotEmpty saying how to reset", err)
	}
	if after := checksums(t, db); !equal(after, before) {
		t.Errorf("refused seed changed the tables: %v, then %v", before, after)
	}

	if err := seed.Reset(ctx, db.DB); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if _, err := seed.Seed(ctx, db.DB, seed.Small, 1); err != nil {
		t.Fatalf("seed after reset: %v", err)
	}
	if after := checksums(t, db); !equal(after, before) {
		t.Errorf("reset and reseed with the same seed: %v, then %v", before, after)
	}
}

func equal(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestBadSizesAreRejected(t *testing.T) {
	db := mariadbtest.New(t)
	for _, size := range []seed.Size{
		{Users: -1},
		{Users: 10, Stories: 10, Comments: -5},
		{Users: 10, Stories: 10, Votes: -1},
		{Stories: 10},
		{Users: 10, Comments: 10},
		{Users: 10, Votes: 10},
		{Users: 2, Stories: 2, Comments: 2, Votes: 5}, // 8 user-post pairs: room for 4 votes
		{Users: 200_000_000},
	} {
		_, err := seed.Seed(context.Background(), db.DB, size, 1)
		if err == nil || !strings.Contains(err.Error(), "invalid size") {
			t.Errorf("seed %v: err = %v, want invalid size", size, err)
		}
	}
	for _, table := range []string{"users", "stories", "comments", "votes"} {
		if n := count(t, db, "SELECT COUNT(*) FROM "+table); n != 0 {
			t.Errorf("rejected sizes left %d rows in %s", n, table)
		}
	}
}

func TestSmallSizesSeed(t *testing.T) {
	ctx := context.Background()
	db := mariadbtest.New(t)
	for _, size := range []seed.Size{
		{},
		{Users: 1},
		{Users: 1, Stories: 1, Votes: 1},
		{Users: 2, Stories: 2, Comments: 2, Votes: 4},
	} {
		st, err := seed.Seed(ctx, db.DB, size, 1)
		if err != nil {
			t.Errorf("seed %v: %v", size, err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM votes"); n != int64(size.Votes) || st.Votes != size.Votes {
			t.Errorf("seed %v: %d votes written, stats say %d", size, n, st.Votes)
		}
		if err := seed.Reset(ctx, db.DB); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScale(t *testing.T) {
	if got := seed.Default.Scale(0.03); got != seed.Small {
		t.Errorf("Default.Scale(0.03) = %v, want Small %v", got, seed.Small)
	}
	if err := seed.Default.Scale(-1).Validate(); err == nil {
		t.Error("a negative scale validates")
	}
}
