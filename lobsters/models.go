package lobsters

import "time"

// Author is the user shown in a byline.
type Author struct {
	Username string
	Banned   bool
}

// User is a Lobsters member as their profile shows them.
type User struct {
	Username      string
	Karma         int
	About         string
	CreatedAt     time.Time
	BannedAt      *time.Time
	DeletedAt     *time.Time
	StoriesCount  int
	CommentsCount int
}

// Banned reports whether the user has been banned.
func (u User) Banned() bool { return u.BannedAt != nil }

// Inactive reports whether the user deleted their account.
func (u User) Inactive() bool { return u.DeletedAt != nil }

// Story is a submitted link or text post.
type Story struct {
	ID            int64
	ShortID       string
	Title         string
	URL           string // empty for a text post
	Description   string
	Score         int
	CommentsCount int
	CreatedAt     time.Time
	Author        Author
}

// Comment is one comment on a story, with its replies.
type Comment struct {
	ID        int64
	ParentID  int64 // 0 for a top-level comment
	Body      string
	Score     int
	CreatedAt time.Time
	Author    Author
	Replies   []*Comment
}

// StoryPage is one page of a story listing.
type StoryPage struct {
	Stories []Story
	Page    int  // 1-based
	HasMore bool // whether a next page exists
}
