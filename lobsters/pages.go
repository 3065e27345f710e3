package lobsters

import (
	"context"
	"net/http"
	"strconv"
)

// maxPage bounds ?page= so that a silly number cannot ask for a huge offset.
const maxPage = 10000

// storiesView is the body of a story listing page.
type storiesView struct {
	Heading string
	Path    string // the listing's own path, for the paging links
	StoryPage
}

// hottest renders "/": the stories by hotness, paged with ?page=.
func (a *App) hottest(w http.ResponseWriter, r *http.Request) error {
	return a.listing(w, r, "home", "", "/", a.store.Hottest)
}

// newest renders "/newest": the latest stories first.
func (a *App) newest(w http.ResponseWriter, r *http.Request) error {
	return a.listing(w, r, "newest", "Newest Stories", "/newest", a.store.Newest)
}

// listing renders one page of a story list; an empty heading shows none.
func (a *App) listing(w http.ResponseWriter, r *http.Request, nav, heading, path string,
	load func(ctx context.Context, page int) (StoryPage, error)) error {
	page, err := pageNumber(r)
	if err != nil {
		return err
	}
	ctx, cancel := a.dbContext(r)
	defer cancel()
	sp, err := load(ctx, page)
	if err != nil {
		return err
	}
	title := heading
	if page > 1 {
		if title != "" {
			title += " | "
		}
		title += "Page " + strconv.Itoa(page)
	}
	a.render(w, r, http.StatusOK, "stories", view{Title: title, Nav: nav,
		Body: storiesView{Heading: heading, Path: path, StoryPage: sp}})
	return nil
}

// pageNumber reads ?page=, 1 when absent.
func pageNumber(r *http.Request) (int, error) {
	v := r.URL.Query().Get("page")
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, notFound("There is no page %q.", v)
	}
	return n, nil
}

// storyView is the body of a story page.
type storyView struct {
	Story    Story
	Comments []*Comment
}

// story renders "/s/{short_id}": the story and its threaded comments.
func (a *App) story(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := a.dbContext(r)
	defer cancel()
	s, err := a.store.Story(ctx, r.PathValue("short_id"))
	if err != nil {
		return err
	}
	comments, err := a.store.Comments(ctx, s.ID)
	if err != nil {
		return err
	}
	a.render(w, r, http.StatusOK, "story", view{Title: s.Title, Body: storyView{Story: s, Comments: comments}})
	return nil
}

// profileStories is how many recent stories a profile lists.
const profileStories = 20

// userView is the body of a profile page.
type userView struct {
	User    User
	Stories []Story
}

// user renders "/u/{username}": karma, member since, about and their latest
// stories.
func (a *App) user(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := a.dbContext(r)
	defer cancel()
	name := r.PathValue("username")
	u, err := a.store.User(ctx, name)
	if err != nil {
		return err
	}
	stories, err := a.store.UserStories(ctx, u.Username, profileStories)
	if err != nil {
		return err
	}
	a.render(w, r, http.StatusOK, "user", view{Title: u.Username, Body: userView{User: u, Stories: stories}})
	return nil
}

// about is the one page that needs neither the database nor the service.
func (a *App) about(w http.ResponseWriter, r *http.Request) error {
	a.render(w, r, http.StatusOK, "about", view{Title: "About", Nav: "about"})
	return nil
}
