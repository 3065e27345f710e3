package snapshot

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// demoRepo makes a repository with one commit and then a working tree that
// differs from it in every way a copy must handle.
func demoRepo(t *testing.T) (dir, commit string) {
	t.Helper()
	dir = newRepo(t)
	writeFile(t, dir, "go.mod", "module demo\n", 0o644)
	writeFile(t, dir, "main.go", "package main // committed\n", 0o644)
	writeFile(t, dir, "run.sh", "#!/bin/sh\necho hi\n", 0o755)
	writeFile(t, dir, "doomed.txt", "tracked, deleted in the work tree\n", 0o644)
	writeFile(t, dir, "deep/a/b/c/leaf.txt", "leaf\n", 0o600)
	writeFile(t, dir, ".gitignore", "*.log\nbuild/\n", 0o644)
	writeFile(t, dir, "olddir/x.go", "package olddir\n", 0o644)
	writeFile(t, dir, "swap", "a file, to become a directory\n", 0o644)
	if err := os.Symlink("deep/a/b/c/leaf.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	commit = commitAll(t, dir, "first")

	writeFile(t, dir, "main.go", "package main // edited, not committed\n", 0o644)
	writeFile(t, dir, "new/untracked.go", "package new\n", 0o644)
	writeFile(t, dir, "new/group.sh", "#!/bin/sh\n", 0o775) // bits a umask of 022 would clear
	writeFile(t, dir, "debug.log", "ignored\n", 0o644)
	writeFile(t, dir, "build/out.bin", "ignored dir\n", 0o644)
	for _, name := range []string{"doomed.txt", "olddir", "swap"} {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, dir, "swap/inner.txt", "now a directory\n", 0o644)
	return dir, commit
}

func TestTakeUncommittedCopy(t *testing.T) {
	repo, commit := demoRepo(t)
	dest := filepath.Join(t.TempDir(), "snaps", "one") // parent missing too

	snap, err := Take(context.Background(), repo, Source{Kind: UncommittedCopy}, dest)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	if snap.Dir != dest || snap.Kind != UncommittedCopy || snap.Source != "UNCOMMITTED_COPY" {
		t.Errorf("Snapshot = %+v, want Dir %s, Kind UncommittedCopy, Source UNCOMMITTED_COPY", snap, dest)
	}
	if snap.Commit != commit || !snap.Dirty {
		t.Errorf("Commit, Dirty = %q, %v; want %q, true", snap.Commit, snap.Dirty, commit)
	}

	want := []string{
		".gitignore", "deep/", "deep/a/", "deep/a/b/", "deep/a/b/c/", "deep/a/b/c/leaf.txt",
		"go.mod", "link", "main.go", "new/", "new/group.sh", "new/untracked.go", "run.sh", "swap/", "swap/inner.txt",
	}
	if got := listTree(t, dest); !slices.Equal(got, want) {
		t.Errorf("snapshot holds\n%v\nwant\n%v", got, want)
	}
	if got := readFile(t, dest, "main.go"); got != "package main // edited, not committed\n" {
		t.Errorf("main.go = %q, want the uncommitted edit", got)
	}
	if got := readFile(t, dest, "new/untracked.go"); got != "package new\n" {
		t.Errorf("new/untracked.go = %q", got)
	}
	for _, name := range []string{".git", "debug.log", "build", "doomed.txt", "olddir"} {
		assertAbsent(t, dest, name)
	}
	assertMode(t, dest, "run.sh", 0o755)
	assertMode(t, dest, "main.go", 0o644)
	assertMode(t, dest, "deep/a/b/c/leaf.txt", 0o600)
	assertMode(t, dest, "new/group.sh", 0o775)
	assertSymlink(t, dest, "link", "deep/a/b/c/leaf.txt")

	wantBytes := int64(0)
	for _, name := range []string{".gitignore", "deep/a/b/c/leaf.txt", "go.mod", "main.go", "new/group.sh", "new/untracked.go", "run.sh", "swap/inner.txt"} {
		wantBytes += int64(len(readFile(t, repo, name)))
	}
	if snap.Files != 9 || snap.Bytes != wantBytes {
		t.Errorf("Files, Bytes = %d, %d; want 9, %d", snap.Files, snap.Bytes, wantBytes)
	}

	// The copy is a copy: an edit made now does not reach it.
	writeFile(t, repo, "main.go", "package main // edited after the snapshot\n", 0o644)
	if got := readFile(t, dest, "main.go"); got != "package main // edited, not committed\n" {
		t.Errorf("after editing the work tree, the copy's main.go = %q", got)
	}
}

func TestTakeUncommittedCopyFromSubdirectory(t *testing.T) {
	repo, _ := demoRepo(t)
	dest := filepath.Join(t.TempDir(), "snap")
	snap, err := Take(context.Background(), filepath.Join(repo, "deep", "a"), Source{Kind: UncommittedCopy}, dest)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	// The whole work tree is copied, not only the subdirectory.
	if got := readFile(t, dest, "go.mod"); got != "module demo\n" {
		t.Errorf("go.mod = %q", got)
	}
	if snap.Files != 9 {
		t.Errorf("Files = %d, want 9", snap.Files)
	}
}

func TestTakeUncommittedCopyCleanAndEmptyRepos(t *testing.T) {
	repo := newRepo(t)
	writeFile(t, repo, "a.txt", "a\n", 0o644)

	// No commits yet: the copy works, Commit is empty.
	snap, err := Take(context.Background(), repo, Source{Kind: UncommittedCopy}, filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatalf("Take in a repository without commits: %v", err)
	}
	if snap.Commit != "" || !snap.Dirty || snap.Files != 1 {
		t.Errorf("Commit, Dirty, Files = %q, %v, %d; want \"\", true, 1", snap.Commit, snap.Dirty, snap.Files)
	}

	commit := commitAll(t, repo, "first")
	snap, err = Take(context.Background(), repo, Source{Kind: UncommittedCopy}, filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	if snap.Commit != commit || snap.Dirty {
		t.Errorf("clean tree: Commit, Dirty = %q, %v; want %q, false", snap.Commit, snap.Dirty, commit)
	}
}

func TestTakeUncommitted(t *testing.T) {
	repo, commit := demoRepo(t)
	dest := filepath.Join(t.TempDir(), "unused")
	snap, err := Take(context.Background(), filepath.Join(repo, "new"), Source{Kind: Uncommitted}, dest)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	top, _ := filepath.EvalSymlinks(repo)
	if got, _ := filepath.EvalSymlinks(snap.Dir); got != top {
		t.Errorf("Dir = %q, want the work tree top %q", snap.Dir, top)
	}
	if snap.Kind != Uncommitted || snap.Source != "UNCOMMITTED" || snap.Commit != commit || !snap.Dirty {
		t.Errorf("Snapshot = %+v", snap)
	}
	if snap.Files != 0 || snap.Bytes != 0 {
		t.Errorf("Files, Bytes = %d, %d; want 0, 0 (nothing written)", snap.Files, snap.Bytes)
	}
	assertAbsent(t, filepath.Dir(dest), "unused")
}

func TestTakeRef(t *testing.T) {
	repo, commit := demoRepo(t)
	for _, ref := range []string{"", "HEAD", "main", commit, commit[:8]} {
		dest := filepath.Join(t.TempDir(), "snap")
		src, err := ParseSource(ref)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := Take(context.Background(), repo, src, dest)
		if err != nil {
			t.Fatalf("Take(%q): %v", ref, err)
		}
		if snap.Commit != commit || snap.Kind != Ref || snap.Source != ref || snap.Dirty || snap.Dir != dest {
			t.Errorf("Take(%q) = %+v, want Commit %s", ref, snap, commit)
		}
		want := []string{
			".gitignore", "deep/", "deep/a/", "deep/a/b/", "deep/a/b/c/", "deep/a/b/c/leaf.txt",
			"doomed.txt", "go.mod", "link", "main.go", "olddir/", "olddir/x.go", "run.sh", "swap",
		}
		if got := listTree(t, dest); !slices.Equal(got, want) {
			t.Errorf("Take(%q) holds\n%v\nwant\n%v", ref, got, want)
		}
		if got := readFile(t, dest, "main.go"); got != "package main // committed\n" {
			t.Errorf("Take(%q): main.go = %q, want the committed content", ref, got)
		}
		assertMode(t, dest, "run.sh", 0o755)
		assertMode(t, dest, "main.go", 0o644)
		assertMode(t, dest, "deep/a/b/c/leaf.txt", 0o644) // git records only the exec bit
		assertSymlink(t, dest, "link", "deep/a/b/c/leaf.txt")
		if snap.Files != 9 {
			t.Errorf("Take(%q): Files = %d, want 9", ref, snap.Files)
		}
	}
}

func TestTakeRefOlderCommitAndOddNames(t *testing.T) {
	repo, first := demoRepo(t)
	runGit(t, repo, "tag", "v1")
	// Names git allows may hold shell characters; they reach git as one
	// argument, never through a shell.
	runGit(t, repo, "branch", "x;touch-pwned|$(id)")
	second := commitAll(t, repo, "second")

	for ref, want := range map[string]string{"v1": first, "x;touch-pwned|$(id)": first, "main": second} {
		dest := filepath.Join(t.TempDir(), "snap")
		snap, err := Take(context.Background(), repo, Source{Kind: Ref, Ref: ref}, dest)
		if err != nil {
			t.Fatalf("Take(%q): %v", ref, err)
		}
		if snap.Commit != want {
			t.Errorf("Take(%q).Commit = %s, want %s", ref, snap.Commit, want)
		}
		content := readFile(t, dest, "main.go")
		if (want == first) != (content == "package main // committed\n") {
			t.Errorf("Take(%q): main.go = %q", ref, content)
		}
	}
	assertAbsent(t, repo, "touch-pwned")
}

func TestTakeUnknownRef(t *testing.T) {
	repo, _ := demoRepo(t)
	for _, ref := range []string{"no-such-branch", "0123456789abcdef", "main.go"} {
		dest := filepath.Join(t.TempDir(), "snap")
		_, err := Take(context.Background(), repo, Source{Kind: Ref, Ref: ref}, dest)
		if err == nil {
			t.Fatalf("Take(%q) succeeded, want an error", ref)
		}
		if want := `unknown git ref "` + ref + `"`; !strings.Contains(err.Error(), want) {
			t.Errorf("Take(%q) = %q, want it to say %s", ref, err, want)
		}
		assertAbsent(t, filepath.Dir(dest), "snap")
	}
}

func TestTakeRefusesBadRefGivenDirectly(t *testing.T) {
	repo, _ := demoRepo(t)
	dest := filepath.Join(t.TempDir(), "snap")
	_, err := Take(context.Background(), repo, Source{Kind: Ref, Ref: "--output=" + dest}, dest)
	if err == nil || !strings.Contains(err.Error(), `starts with "-"`) {
		t.Errorf("Take with an option as ref = %v, want a refusal", err)
	}
	assertAbsent(t, filepath.Dir(dest), "snap")
}

func TestTakeHeadOfEmptyRepo(t *testing.T) {
	repo := newRepo(t)
	writeFile(t, repo, "a.txt", "a\n", 0o644)
	dest := filepath.Join(t.TempDir(), "snap")
	_, err := Take(context.Background(), repo, Source{}, dest)
	if err == nil {
		t.Fatal("Take(HEAD) in a repository without commits succeeded")
	}
	if !strings.Contains(err.Error(), "has no commits yet") || !strings.Contains(err.Error(), "UNCOMMITTED_COPY") {
		t.Errorf("error = %q, want it to say there are no commits and what to do", err)
	}
	assertAbsent(t, filepath.Dir(dest), "snap")
}

func TestTakeDestExists(t *testing.T) {
	repo, _ := demoRepo(t)
	for _, src := range []Source{{Kind: UncommittedCopy}, {Kind: Ref}} {
		dest := t.TempDir() // exists, empty
		writeFile(t, dest, "keep.txt", "mine\n", 0o644)
		_, err := Take(context.Background(), repo, src, dest)
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("Take(%v) into an existing directory = %v, want \"already exists\"", src.Kind, err)
		}
		// What was there is left alone.
		if got := listTree(t, dest); !slices.Equal(got, []string{"keep.txt"}) {
			t.Errorf("Take(%v) changed the existing directory: %v", src.Kind, got)
		}
	}
}

func TestTakeNotARepo(t *testing.T) {
	notRepo := t.TempDir()
	writeFile(t, notRepo, "main.go", "package main\n", 0o644)
	for _, src := range []Source{{Kind: UncommittedCopy}, {Kind: Uncommitted}, {Kind: Ref}} {
		dest := filepath.Join(t.TempDir(), "snap")
		_, err := Take(context.Background(), notRepo, src, dest)
		if err == nil || !strings.Contains(err.Error(), notRepo+" is not inside a git repository") {
			t.Errorf("Take(%v) outside a repository = %v, want \"... is not inside a git repository\"", src.Kind, err)
		}
		assertAbsent(t, filepath.Dir(dest), "snap")
	}

	_, err := Take(context.Background(), filepath.Join(notRepo, "missing"), Source{Kind: UncommittedCopy}, filepath.Join(t.TempDir(), "s"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Take from a missing directory = %v, want ErrNotExist", err)
	}
}

func TestTakeRemovesDestOnFailure(t *testing.T) {
	repo, _ := demoRepo(t)
	// A file the copy cannot read: the copy fails after dest was created.
	writeFile(t, repo, "secret.txt", "no\n", 0o000)
	if f, err := os.Open(filepath.Join(repo, "secret.txt")); err == nil {
		f.Close()
		t.Skip("running as a user who can read any file (root?)")
	}
	dest := filepath.Join(t.TempDir(), "snap")
	_, err := Take(context.Background(), repo, Source{Kind: UncommittedCopy}, dest)
	if err == nil || !strings.Contains(err.Error(), "copy secret.txt") {
		t.Fatalf("Take = %v, want an error naming secret.txt", err)
	}
	assertAbsent(t, filepath.Dir(dest), "snap")
}

func TestTakeRemovesDestWhenCopyMeetsAFifo(t *testing.T) {
	repo, _ := demoRepo(t)
	// A tracked file replaced by a named pipe in the work tree: the copy
	// fails on it after dest was created and other files were written.
	fifo := filepath.Join(repo, "zz-tracked")
	writeFile(t, repo, "zz-tracked", "x\n", 0o644)
	commitAll(t, repo, "add zz-tracked")
	if err := os.Remove(fifo); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	dest := filepath.Join(t.TempDir(), "snap")
	_, err := Take(context.Background(), repo, Source{Kind: UncommittedCopy}, dest)
	if err == nil || !strings.Contains(err.Error(), "copy zz-tracked: unsupported file type") {
		t.Fatalf("Take = %v, want an error naming zz-tracked", err)
	}
	assertAbsent(t, filepath.Dir(dest), "snap")
}

func TestTakeCanceled(t *testing.T) {
	repo, _ := demoRepo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dest := filepath.Join(t.TempDir(), "snap")
	if _, err := Take(ctx, repo, Source{Kind: UncommittedCopy}, dest); err == nil {
		t.Error("Take with a canceled context succeeded")
	}
	assertAbsent(t, filepath.Dir(dest), "snap")
}

func TestSnapshotCommitIsFullHash(t *testing.T) {
	repo, _ := demoRepo(t)
	snap, err := Take(context.Background(), repo, Source{Kind: Ref, Ref: "main"}, filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(snap.Commit) {
		t.Errorf("Commit = %q, want 40 hex digits", snap.Commit)
	}
}

func TestTakeUncommittedCopyNestedRepository(t *testing.T) {
	repo, _ := demoRepo(t)
	nested := filepath.Join(repo, "vendorish")
	if err := os.Mkdir(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	runGit(t, nested, "init", "-q")
	writeFile(t, nested, "inner.go", "package inner\n", 0o644)

	dest := filepath.Join(t.TempDir(), "snap")
	if _, err := Take(context.Background(), repo, Source{Kind: UncommittedCopy}, dest); err != nil {
		t.Fatalf("Take: %v", err)
	}
	// Like git archive does for a submodule, the nested repository comes
	// out as an empty directory; its .git is never copied.
	fi, err := os.Lstat(filepath.Join(dest, "vendorish"))
	if err != nil || !fi.IsDir() {
		t.Fatalf("vendorish: %v, %v; want a directory", fi, err)
	}
	if got := listTree(t, filepath.Join(dest, "vendorish")); len(got) != 0 {
		t.Errorf("vendorish holds %v, want nothing", got)
	}
}

func TestResolveCommit(t *testing.T) {
	repo, first := demoRepo(t)
	runGit(t, repo, "tag", "v1")
	second := commitAll(t, repo, "second")
	for src, want := range map[Source]string{
		{Kind: Ref, Ref: "v1"}:      first,
		{Kind: Ref}:                 second,
		{Kind: UncommittedCopy}:     second,
		{Kind: Uncommitted}:         second,
		{Kind: Ref, Ref: first[:8]}: first,
	} {
		got, err := ResolveCommit(context.Background(), repo, src)
		if err != nil || got != want {
			t.Errorf("ResolveCommit(%+v) = %q, %v; want %q", src, got, err, want)
		}
	}
	if _, err := ResolveCommit(context.Background(), repo, Source{Kind: Ref, Ref: "nope"}); err == nil || !strings.Contains(err.Error(), `unknown git ref "nope"`) {
		t.Errorf("ResolveCommit(nope) = %v, want unknown git ref", err)
	}
	if got, err := ResolveCommit(context.Background(), newRepo(t), Source{Kind: UncommittedCopy}); err != nil || got != "" {
		t.Errorf("ResolveCommit in an empty repository = %q, %v; want \"\", nil", got, err)
	}
}

// TestResolveOnlyRefsAndLongCommitPrefixes: a describe-style name (which git
// reads as an abbreviated commit after "-g"), a 4-hex-digit prefix hidden
// in it, or other revision syntax are not resolved; branches, tags, full
// refs and 8-digit prefixes are.
func TestResolveOnlyRefsAndLongCommitPrefixes(t *testing.T) {
	repo, first := demoRepo(t)
	runGit(t, repo, "branch", "feature")
	runGit(t, repo, "tag", "v1")
	for _, ref := range []string{"feature", "v1", "refs/heads/feature", "refs/tags/v1", first[:8], first} {
		if got, err := ResolveCommit(context.Background(), repo, Source{Kind: Ref, Ref: ref}); err != nil || got != first {
			t.Errorf("ResolveCommit(%s) = %q, %v; want %s", ref, got, err, first)
		}
	}
	for _, ref := range []string{first[:7], first[:4], "v1-0-g" + first[:4], "anything-g" + first[:7], "feature@{0}"} {
		if got, err := ResolveCommit(context.Background(), repo, Source{Kind: Ref, Ref: ref}); err == nil {
			t.Errorf("ResolveCommit(%s) = %q, want it refused: not a branch, tag, full ref or 8-digit commit prefix", ref, got)
		}
	}
}

// TestCopyKeepsHolesAndRefusesHugeUntrackedFiles: a sparse untracked file
// is copied sparse (its data, not its apparent size), and an untracked file
// holding more than the limit is refused, naming it, with nothing left.
func TestCopyKeepsHolesAndRefusesHugeUntrackedFiles(t *testing.T) {
	repo, _ := demoRepo(t)
	f, err := os.Create(filepath.Join(repo, "sparse.img"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("head"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("tail"), 2<<30-4); err != nil { // 2 GiB apparent
		t.Fatal(err)
	}
	f.Close()

	dest := filepath.Join(t.TempDir(), "copy")
	if _, err := TakeLimited(context.Background(), repo, Source{Kind: UncommittedCopy}, dest, 1<<20); err != nil {
		t.Fatalf("a sparse file with 8 bytes of data was refused: %v", err)
	}
	info, err := os.Stat(filepath.Join(dest, "sparse.img"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != 2<<30 {
		t.Fatalf("copy's size %d, want %d", info.Size(), 2<<30)
	}
	if st := info.Sys().(*syscall.Stat_t); st.Blocks*512 > 1<<20 {
		t.Fatalf("the copy of a sparse file takes %d bytes on disk: its holes were written out", st.Blocks*512)
	}
	b := make([]byte, 4)
	g, _ := os.Open(filepath.Join(dest, "sparse.img"))
	g.ReadAt(b, 2<<30-4)
	g.Close()
	if string(b) != "tail" {
		t.Fatalf("the copy's last bytes are %q", b)
	}

	if err := os.WriteFile(filepath.Join(repo, "core.dump"), make([]byte, 3<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	dest2 := filepath.Join(t.TempDir(), "copy2")
	_, err = TakeLimited(context.Background(), repo, Source{Kind: UncommittedCopy}, dest2, 2<<20)
	if err == nil || !strings.Contains(err.Error(), "core.dump") || !strings.Contains(err.Error(), "-max-untracked 0") {
		t.Fatalf("an untracked file over the limit: %v, want a refusal naming it and the way to allow it", err)
	}
	if _, err := os.Stat(dest2); err == nil {
		t.Fatalf("the refused copy left %s", dest2)
	}
	if _, err := TakeLimited(context.Background(), repo, Source{Kind: UncommittedCopy}, filepath.Join(t.TempDir(), "c3"), 0); err != nil {
		t.Fatalf("with no limit: %v", err)
	}
}
