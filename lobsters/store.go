package lobsters

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PerPage is how many stories a listing page shows.
const PerPage = 25

// storyColumns selects a Story and its author, in the order scanStory reads.
// The vote counters are unsigned, so they are made signed before subtracting.
const storyColumns = `s.id, s.short_id, s.title, COALESCE(s.url, ''), COALESCE(s.description, ''),
	CAST(s.upvotes AS SIGNED) - CAST(s.downvotes AS SIGNED), s.comments_count, s.created_at,
	u.username, u.banned_at IS NOT NULL`

// The queries, prepared once by openStore. The hotness column holds Lobsters'
// rank with higher being hotter (as package seed writes it; Lobsters itself
// stores the negation), so the front page reads its index in descending order.
const (
	// STRAIGHT_JOIN: read stories in index order and look each author up.
	// With current statistics MariaDB otherwise scans users and sorts every
	// story (about 200 ms instead of 1 ms on the default data set).
	qHottest = `SELECT ` + storyColumns + ` FROM stories s STRAIGHT_JOIN users u ON u.id = s.user_id
		ORDER BY s.hotness DESC, s.id DESC LIMIT ? OFFSET ?`
	qNewest = `SELECT ` + storyColumns + ` FROM stories s STRAIGHT_JOIN users u ON u.id = s.user_id
		ORDER BY s.created_at DESC, s.id DESC LIMIT ? OFFSET ?`
	qStory = `SELECT ` + storyColumns + ` FROM stories s JOIN users u ON u.id = s.user_id
		WHERE s.short_id = ?`
	qUserStories = `SELECT ` + storyColumns + ` FROM stories s JOIN users u ON u.id = s.user_id
		WHERE u.username = ? ORDER BY s.created_at DESC, s.id DESC LIMIT ?`
	qComments = `SELECT c.id, COALESCE(c.parent_comment_id, 0), c.comment,
		CAST(c.upvotes AS SIGNED) - CAST(c.downvotes AS SIGNED), c.created_at,
		u.username, u.banned_at IS NOT NULL
		FROM comments c JOIN users u ON u.id = c.user_id
		WHERE c.story_id = ?
		ORDER BY CAST(c.upvotes AS SIGNED) - CAST(c.downvotes AS SIGNED) DESC, c.created_at, c.id`
	qUser = `SELECT u.username, u.karma, COALESCE(u.about, ''), u.created_at, u.banned_at, u.deleted_at,
		(SELECT COUNT(*) FROM stories s WHERE s.user_id = u.id),
		(SELECT COUNT(*) FROM comments c WHERE c.user_id = u.id)
		FROM users u WHERE u.username = ?`
)

// store reads the Lobsters tables through statements prepared once. The
// database/sql pool re-prepares a statement on each connection it lands on.
type store struct {
	hottest, newest, story, userStories, comments, user *sql.Stmt
	all                                                 []*sql.Stmt
}

// openStore prepares every query; it fails when the database or the schema
// is not there.
func openStore(ctx context.Context, db *sql.DB) (*store, error) {
	s := &store{}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
		name  string
	}{
		{&s.hottest, qHottest, "hottest stories"},
		{&s.newest, qNewest, "newest stories"},
		{&s.story, qStory, "story"},
		{&s.userStories, qUserStories, "user's stories"},
		{&s.comments, qComments, "comments"},
		{&s.user, qUser, "user"},
	} {
		st, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("prepare %s query: %w", p.name, err)
		}
		*p.dst = st
		s.all = append(s.all, st)
	}
	return s, nil
}

// close releases the prepared statements.
func (s *store) close() {
	for _, st := range s.all {
		st.Close()
	}
}

// Hottest returns page (1-based) of the stories by hotness.
func (s *store) Hottest(ctx context.Context, page int) (StoryPage, error) {
	return s.listPage(ctx, s.hottest, "hottest", page)
}

// Newest returns page (1-based) of the stories, newest first.
func (s *store) Newest(ctx context.Context, page int) (StoryPage, error) {
	return s.listPage(ctx, s.newest, "newest", page)
}

// listPage runs a listing query for one page, asking for one story more than
// a page holds to learn whether a next page exists.
func (s *store) listPage(ctx context.Context, q *sql.Stmt, name string, page int) (StoryPage, error) {
	stories, err := queryStories(ctx, q, PerPage+1, (page-1)*PerPage)
	if err != nil {
		return StoryPage{}, fmt.Errorf("list %s stories, page %d: %w", name, page, err)
	}
	p := StoryPage{Stories: stories, Page: page}
	if len(stories) > PerPage {
		p.Stories, p.HasMore = stories[:PerPage], true
	}
	return p, nil
}

// Story returns the story with this short id, or an ENotFound error.
func (s *store) Story(ctx context.Context, shortID string) (Story, error) {
	if !isName(shortID, 6) {
		return Story{}, notFound("There is no story %q. It may have been removed, or the link is mistyped.", shortID)
	}
	st, err := scanStory(s.story.QueryRowContext(ctx, shortID))
	if errors.Is(err, sql.ErrNoRows) {
		return Story{}, notFound("There is no story %q. It may have been removed, or the link is mistyped.", shortID)
	}
	if err != nil {
		return Story{}, fmt.Errorf("load story %q: %w", shortID, err)
	}
	return st, nil
}

// Comments returns a story's comments as a forest: top-level comments with
// their replies nested, each level best-scored first.
func (s *store) Comments(ctx context.Context, storyID int64) ([]*Comment, error) {
	rows, err := s.comments.QueryContext(ctx, storyID)
	if err != nil {
		return nil, fmt.Errorf("load comments of story %d: %w", storyID, err)
	}
	defer rows.Close()
	var flat []*Comment
	for rows.Next() {
		c := &Comment{}
		if err := rows.Scan(&c.ID, &c.ParentID, &c.Body, &c.Score, &c.CreatedAt, &c.Author.Username, &c.Author.Banned); err != nil {
			return nil, fmt.Errorf("read comment of story %d: %w", storyID, err)
		}
		flat = append(flat, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read comments of story %d: %w", storyID, err)
	}
	return threadComments(flat), nil
}

// threadComments nests each comment under its parent, keeping the order of
// flat within each level. A comment whose parent is missing (or on another
// story) is shown at the top level rather than lost.
func threadComments(flat []*Comment) []*Comment {
	byID := make(map[int64]*Comment, len(flat))
	for _, c := range flat {
		byID[c.ID] = c
	}
	var roots []*Comment
	for _, c := range flat {
		if p, ok := byID[c.ParentID]; ok && c.ParentID != 0 && p != c {
			p.Replies = append(p.Replies, c)
			continue
		}
		roots = append(roots, c)
	}
	return roots
}

// User returns the profile of username, or an ENotFound error.
func (s *store) User(ctx context.Context, username string) (User, error) {
	if !isName(username, 50) {
		return User{}, notFound("There is no user called %q.", username)
	}
	var u User
	var banned, deleted sql.NullTime
	err := s.user.QueryRowContext(ctx, username).Scan(&u.Username, &u.Karma, &u.About, &u.CreatedAt,
		&banned, &deleted, &u.StoriesCount, &u.CommentsCount)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, notFound("There is no user called %q.", username)
	}
	if err != nil {
		return User{}, fmt.Errorf("load user %q: %w", username, err)
	}
	u.BannedAt, u.DeletedAt = timePtr(banned), timePtr(deleted)
	return u, nil
}

// UserStories returns a user's latest stories, at most limit.
func (s *store) UserStories(ctx context.Context, username string, limit int) ([]Story, error) {
	stories, err := queryStories(ctx, s.userStories, username, limit)
	if err != nil {
		return nil, fmt.Errorf("list stories of %q: %w", username, err)
	}
	return stories, nil
}

// queryStories runs a query selecting storyColumns.
func queryStories(ctx context.Context, q *sql.Stmt, args ...any) ([]Story, error) {
	rows, err := q.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Story
	for rows.Next() {
		st, err := scanStory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

// scanStory reads one row of storyColumns.
func scanStory(r scanner) (Story, error) {
	var s Story
	err := r.Scan(&s.ID, &s.ShortID, &s.Title, &s.URL, &s.Description, &s.Score, &s.CommentsCount,
		&s.CreatedAt, &s.Author.Username, &s.Author.Banned)
	return s, err
}

// timePtr turns a NULL-able time into a pointer, nil for NULL.
func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// isName reports whether s can be a username or a story's short id at all:
// 1 to max ASCII letters, digits, '_' or '-'. Anything else is not asked of
// the database, which would compare it under the columns' collation (an
// error for non-ASCII text, trailing spaces ignored) instead of answering
// "no such row".
func isName(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
