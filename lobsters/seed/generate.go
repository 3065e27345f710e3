package seed

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"
)

// epoch is the moment the demo data is dated against: every created_at and
// banned_at lies before it. It is fixed, not the clock, so that a seed gives the
// same rows on every run.
var epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()

const (
	day  = int64(24 * 60 * 60)
	year = 365 * day

	bannedShare       = 50   // one user in bannedShare is banned (2%)
	replyRate         = 0.45 // share of comments that answer an earlier comment
	storyVoteRate     = 0.4  // share of votes cast on stories rather than comments
	selfVoteRate      = 0.04 // share of votes an author casts on their own post
	storyUpvoteRate   = 0.93
	commentUpvoteRate = 0.88
	hotnessWindow     = 45000 // seconds of age worth one order of magnitude of score
)

// The generated data set. Rows refer to each other by slice index; a row's id
// in the database is its index + 1. Times are Unix seconds, 0 meaning NULL.
type (
	dataset struct {
		users     []user
		stories   []story
		comments  []comment
		votes     []vote
		selfVotes int
	}
	user struct {
		name, about     string
		created, banned int64
		karma           int64
	}
	story struct {
		author                  int32
		shortID, title          string
		url, description        string // one of the two is empty
		created                 int64
		up, down, commentsCount int32
	}
	comment struct {
		story, author int32
		parent        int32 // -1: a top-level comment
		text          string
		created       int64
		up, down      int32
	}
	vote struct {
		user, story int32
		comment     int32 // -1: a vote on the story itself
		value       int8
	}
)

// end is when the user stopped taking part: when banned, else the epoch.
func (u *user) end() int64 {
	if u.banned != 0 {
		return u.banned
	}
	return epoch
}

func (u *user) activeAt(t int64) bool { return u.created <= t && t < u.end() }

// hotness ranks a story the way Lobsters does, higher being hotter: the order
// of magnitude of its score, signed, plus its age in units of hotnessWindow,
// rounded to 7 decimals. (Lobsters stores the negation to sort ascending.)
func (s *story) hotness() float64 {
	score := int64(s.up) - int64(s.down)
	order := math.Log10(math.Max(math.Abs(float64(score)), 1))
	sign := float64(cmp.Compare(score, 0))
	h := float64(order*sign) + float64(s.created)/hotnessWindow // float64(): no fused multiply-add, same bits on every CPU
	return math.Round(h*1e7) / 1e7
}

// generator builds a dataset of one size from one random stream.
type generator struct {
	r    rnd
	size Size
	d    dataset

	userPick, storyPick, commentPick picker
}

// generate returns the demo data for size and seed. The same arguments always
// give the same data.
func generate(size Size, seed int64) *dataset {
	g := &generator{r: newRnd(seed), size: size}
	g.users()
	g.stories()
	g.comments()
	g.votes()
	return &g.d
}

// users makes accounts created over the six years before the epoch, ids in
// order of creation, and bans one in bannedShare of them.
func (g *generator) users() {
	n := g.size.Users
	created := make([]int64, n)
	for i := range created {
		created[i] = g.r.between(epoch-6*year, epoch-7*day)
	}
	slices.Sort(created)
	taken := make(map[string]bool, n)
	g.d.users = make([]user, n)
	for i := range g.d.users {
		u := &g.d.users[i]
		u.name = g.r.username(taken)
		u.about = g.r.about(u.name)
		u.created = created[i]
	}
	for _, i := range g.r.Perm(n)[:n/bannedShare] {
		u := &g.d.users[i]
		u.banned = g.r.between(u.created+day, epoch)
	}
	g.userPick = g.heavyTailed(n)
}

// stories makes stories posted by active users, a few users posting most of
// them, ids in order of posting.
func (g *generator) stories() {
	ss := make([]story, g.size.Stories)
	for i := range ss {
		a := g.userPick.pick(g.r)
		u := &g.d.users[a]
		s := &ss[i]
		s.author = int32(a)
		s.created = g.r.between(u.created, u.end())
		s.title, s.url, s.description = g.r.storyText()
	}
	slices.SortStableFunc(ss, func(a, b story) int { return cmp.Compare(a.created, b.created) })
	taken := make(map[string]bool, len(ss))
	for i := range ss {
		ss[i].shortID = g.r.shortID(taken)
	}
	g.d.stories = ss
	g.storyPick = g.heavyTailed(len(ss))
}

// comments makes comments, most of them soon after their story, popular
// stories drawing more; some answer an earlier comment on the same story.
func (g *generator) comments() {
	cs := make([]comment, g.size.Comments)
	for i := range cs {
		si := g.storyPick.pick(g.r)
		s := &g.d.stories[si]
		t := s.created + int64(g.r.ExpFloat64()*8*3600)
		if t >= epoch {
			t = g.r.between(s.created, epoch)
		}
		c := &cs[i]
		c.story = int32(si)
		c.created = t
		c.author = g.commenter(t, s.author)
		c.text = g.r.comment()
	}
	slices.SortStableFunc(cs, func(a, b comment) int { return cmp.Compare(a.created, b.created) })
	earlier := make([][]int32, len(g.d.stories)) // per story, its comments so far
	for i := range cs {
		c := &cs[i]
		c.parent = -1
		prev := earlier[c.story]
		if len(prev) > 0 && g.r.chance(replyRate) {
			c.parent = prev[g.r.IntN(len(prev))]
		}
		earlier[c.story] = append(prev, int32(i))
		g.d.stories[c.story].commentsCount++
	}
	g.d.comments = cs
	g.commentPick = g.heavyTailed(len(cs))
}

// commenter picks a user active at time t, falling back on the story's author.
func (g *generator) commenter(t int64, storyAuthor int32) int32 {
	for range 8 {
		u := g.userPick.pick(g.r)
		if g.d.users[u].activeAt(t) {
			return int32(u)
		}
	}
	return storyAuthor
}

type voteKey struct{ user, story, comment int32 }

// votes casts distinct votes, at most one per user and story or comment,
// and tallies them into the stories', comments' and authors' counts. Karma leaves
// out the votes authors cast on their own posts, as Lobsters does.
func (g *generator) votes() {
	n := g.size.Votes
	g.d.votes = make([]vote, 0, n)
	seen := make(map[voteKey]bool, n)
	misses := 0
	for len(g.d.votes) < n {
		// Weighted picks crowd onto popular users and posts; should they run
		// out of free pairs, uniform picks still find the rest.
		v, author := g.vote(misses > 1000)
		k := voteKey{v.user, v.story, v.comment}
		if seen[k] {
			misses++
			continue
		}
		misses = 0
		seen[k] = true
		g.d.votes = append(g.d.votes, v)
		g.tally(v, author)
	}
	// Most votes come soon after a post: ids follow what they are cast on,
	// which also lets the server fill the votes indexes in order.
	slices.SortStableFunc(g.d.votes, func(a, b vote) int {
		return cmp.Or(cmp.Compare(a.story, b.story), cmp.Compare(a.comment, b.comment))
	})
}

// vote draws one vote and returns it with the author of what it is cast on.
func (g *generator) vote(uniform bool) (vote, int32) {
	pick := func(p picker) int {
		if uniform {
			return g.r.IntN(len(p.cum))
		}
		return p.pick(g.r)
	}
	var v vote
	var author int32
	upRate := storyUpvoteRate
	if len(g.d.comments) == 0 || g.r.chance(storyVoteRate) {
		s := pick(g.storyPick)
		v.story, v.comment = int32(s), -1
		author = g.d.stories[s].author
	} else {
		c := pick(g.commentPick)
		v.story, v.comment = g.d.comments[c].story, int32(c)
		author = g.d.comments[c].author
		upRate = commentUpvoteRate
	}
	if g.r.chance(selfVoteRate) {
		v.user, v.value = author, 1
		return v, author
	}
	v.user = int32(pick(g.userPick))
	v.value = 1
	if !g.r.chance(upRate) {
		v.value = -1
	}
	return v, author
}

func (g *generator) tally(v vote, author int32) {
	up, down := &g.d.stories[v.story].up, &g.d.stories[v.story].down
	if v.comment >= 0 {
		up, down = &g.d.comments[v.comment].up, &g.d.comments[v.comment].down
	}
	if v.value > 0 {
		*up++
	} else {
		*down++
	}
	if v.user == author {
		g.d.selfVotes++
		return
	}
	g.d.users[author].karma += int64(v.value)
}

// heavyTailed returns a picker over n items whose weights follow a Pareto
// distribution: a few items are picked far more often than most.
func (g *generator) heavyTailed(n int) picker {
	p := picker{cum: make([]float64, n)}
	total := 0.0
	for i := range p.cum {
		w := math.Pow(1-g.r.Float64(), -1/1.2) // Pareto, alpha 1.2, minimum 1
		total += math.Min(w, 200)
		p.cum[i] = total
	}
	return p
}

// picker draws indexes with fixed weights: cum holds their running sums.
type picker struct{ cum []float64 }

func (p picker) pick(r rnd) int {
	x := r.Float64() * p.cum[len(p.cum)-1]
	i := sort.Search(len(p.cum), func(i int) bool { return p.cum[i] > x })
	return min(i, len(p.cum)-1)
}
