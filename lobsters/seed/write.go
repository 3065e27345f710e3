package seed

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// statementBytes is the size at which a multi-row INSERT is sent: large enough
// to make round trips rare, well below the server's max_allowed_packet
// (16 MiB by default).
const statementBytes = 2 << 20

// inTx runs f in a transaction on one connection, committing if it returns nil
// and rolling back otherwise.
func inTx(ctx context.Context, db *sql.DB, f func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// write inserts the dataset, table by table, with explicit ids.
func write(ctx context.Context, tx *sql.Tx, d *dataset) error {
	for _, step := range []struct {
		table string
		write func(*batch) error
	}{
		{"users", d.writeUsers},
		{"stories", d.writeStories},
		{"comments", d.writeComments},
		{"votes", d.writeVotes},
	} {
		b := &batch{ctx: ctx, tx: tx}
		if err := step.write(b); err != nil {
			return fmt.Errorf("insert %s: %w", step.table, err)
		}
		if err := b.flush(); err != nil {
			return fmt.Errorf("insert %s: %w", step.table, err)
		}
	}
	return nil
}

func (d *dataset) writeUsers(b *batch) error {
	b.head = "INSERT INTO users (id, username, email, karma, about, created_at, banned_at) VALUES "
	for i, u := range d.users {
		b.begin()
		b.int(int64(i + 1))
		b.str(u.name)
		b.str(u.name + "@example.com")
		b.int(u.karma)
		b.str(u.about)
		b.time(u.created)
		b.time(u.banned)
		if err := b.end(); err != nil {
			return err
		}
	}
	return nil
}

func (d *dataset) writeStories(b *batch) error {
	b.head = "INSERT INTO stories (id, user_id, short_id, title, url, description, upvotes, downvotes, comments_count, hotness, created_at) VALUES "
	for i, s := range d.stories {
		b.begin()
		b.int(int64(i + 1))
		b.int(int64(s.author) + 1)
		b.str(s.shortID)
		b.str(s.title)
		b.strOrNull(s.url)
		b.strOrNull(s.description)
		b.int(int64(s.up))
		b.int(int64(s.down))
		b.int(int64(s.commentsCount))
		b.float(s.hotness())
		b.time(s.created)
		if err := b.end(); err != nil {
			return err
		}
	}
	return nil
}

func (d *dataset) writeComments(b *batch) error {
	b.head = "INSERT INTO comments (id, story_id, user_id, parent_comment_id, comment, upvotes, downvotes, created_at) VALUES "
	for i, c := range d.comments {
		b.begin()
		b.int(int64(i + 1))
		b.int(int64(c.story) + 1)
		b.int(int64(c.author) + 1)
		b.ref(c.parent)
		b.str(c.text)
		b.int(int64(c.up))
		b.int(int64(c.down))
		b.time(c.created)
		if err := b.end(); err != nil {
			return err
		}
	}
	return nil
}

func (d *dataset) writeVotes(b *batch) error {
	b.head = "INSERT INTO votes (id, user_id, story_id, comment_id, vote) VALUES "
	for i, v := range d.votes {
		b.begin()
		b.int(int64(i + 1))
		b.int(int64(v.user) + 1)
		b.int(int64(v.story) + 1)
		b.ref(v.comment)
		b.int(int64(v.value))
		if err := b.end(); err != nil {
			return err
		}
	}
	return nil
}

// batch builds multi-row INSERT statements as SQL text and sends each once it
// reaches statementBytes. A row is begin, one call per column, end.
type batch struct {
	ctx  context.Context
	tx   *sql.Tx
	head string // "INSERT INTO t (columns) VALUES "
	buf  []byte
	rows int  // rows in buf
	cols bool // the current row has a column already
}

func (b *batch) begin() {
	if b.rows == 0 {
		b.buf = append(b.buf[:0], b.head...)
	} else {
		b.buf = append(b.buf, ',')
	}
	b.buf = append(b.buf, '(')
	b.cols = false
}

func (b *batch) end() error {
	b.buf = append(b.buf, ')')
	b.rows++
	if len(b.buf) >= statementBytes {
		return b.flush()
	}
	return nil
}

// flush sends the rows built so far, if any.
func (b *batch) flush() error {
	if b.rows == 0 {
		return nil
	}
	n := b.rows
	b.rows = 0
	if _, err := b.tx.ExecContext(b.ctx, string(b.buf)); err != nil {
		return fmt.Errorf("%d rows: %w", n, err)
	}
	return nil
}

func (b *batch) sep() {
	if b.cols {
		b.buf = append(b.buf, ',')
	}
	b.cols = true
}

func (b *batch) int(v int64) {
	b.sep()
	b.buf = strconv.AppendInt(b.buf, v, 10)
}

func (b *batch) float(v float64) {
	b.sep()
	b.buf = strconv.AppendFloat(b.buf, v, 'f', 7, 64)
}

func (b *batch) null() {
	b.sep()
	b.buf = append(b.buf, "NULL"...)
}

// ref writes the id of the row at index i, or NULL for -1.
func (b *batch) ref(i int32) {
	if i < 0 {
		b.null()
		return
	}
	b.int(int64(i) + 1)
}

// str writes s as a string literal. The generated text is ASCII without
// backslashes (see words.go), so doubling quotes is all the escaping it needs,
// whatever the server's sql_mode.
func (b *batch) str(s string) {
	b.sep()
	b.buf = append(b.buf, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b.buf = append(b.buf, '\'')
		}
		b.buf = append(b.buf, s[i])
	}
	b.buf = append(b.buf, '\'')
}

// strOrNull writes s, or NULL when s is empty.
func (b *batch) strOrNull(s string) {
	if s == "" {
		b.null()
		return
	}
	b.str(s)
}

// time writes Unix seconds as a UTC DATETIME, or NULL for 0.
func (b *batch) time(unix int64) {
	if unix == 0 {
		b.null()
		return
	}
	b.sep()
	b.buf = append(b.buf, '\'')
	b.buf = time.Unix(unix, 0).UTC().AppendFormat(b.buf, time.DateTime)
	b.buf = append(b.buf, '\'')
}
