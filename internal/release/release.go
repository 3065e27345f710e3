// Package release installs one binary from a HashiCorp-style release archive,
// verified against checksums pinned in this repository.
//
// A release of product P at version V for OS/arch O_A is the zip
// <base>/P/V/P_V_O_A.zip, listed in the release's SHA256SUMS
// ("<hex sha256>  <file name>" per line). Install downloads that zip to a
// temporary file, checks its SHA-256 against the pinned SHA256SUMS line for
// that exact file name, and only then extracts the one named binary into the
// tools directory, atomically (temporary file + rename) with mode 0755.
// Whenever it returns an error, nothing has been installed and no temporary
// file is left behind.
//
// The pinned SHA256SUMS is what makes the download trustworthy: it comes from
// the repository, not from the server the zip comes from. A server that cannot
// be reached at all gives an error matching ErrUnreachable (errors.Is), so that
// a caller can fall back to another way of getting the binary.
package release

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultBaseURL is where HashiCorp publishes its official release archives.
const DefaultBaseURL = "https://releases.hashicorp.com"

// Errors that callers tell apart with errors.Is.
var (
	// ErrUnreachable: the release server could not be reached (no route, DNS
	// failure, connection refused, timeout before any answer).
	ErrUnreachable = errors.New("not reachable")
	// ErrNotFound: the server answered but has no such archive (HTTP 404).
	ErrNotFound = errors.New("no such release archive")
	// ErrNoChecksum: the pinned SHA256SUMS has no line for the archive.
	ErrNoChecksum = errors.New("no pinned checksum for the archive")
	// ErrChecksumMismatch: the downloaded archive is not the pinned one.
	ErrChecksumMismatch = errors.New("checksum mismatch")
)

// maxBinary bounds how much one extracted binary may hold (Consul and Nomad
// are about 150 MB), so that a malformed archive cannot fill the disk.
const maxBinary = 1 << 30

// Spec names one archive of a release.
type Spec struct {
	Product string // "nomad"
	Version string // "1.6.5", without a leading "v"
	OS      string // as Go names it: "linux", "darwin"
	Arch    string // as Go names it: "amd64", "arm64"
}

// Archive is the archive's file name, as the release's SHA256SUMS lists it:
// "nomad_1.6.5_linux_amd64.zip".
func (s Spec) Archive() string {
	return fmt.Sprintf("%s_%s_%s_%s.zip", s.Product, s.Version, s.OS, s.Arch)
}

// URL is where the archive is published under base, e.g.
// https://releases.hashicorp.com/nomad/1.6.5/nomad_1.6.5_linux_amd64.zip.
func (s Spec) URL(base string) string {
	return strings.TrimRight(base, "/") + "/" + s.Product + "/" + s.Version + "/" + s.Archive()
}

// Options says where to download from, what the archive must hash to, and
// where the binary goes.
type Options struct {
	// BaseURL of the release server; DefaultBaseURL when empty.
	BaseURL string
	// Sums is the content of the pinned SHA256SUMS, SumsName its name in
	// error messages (e.g. its path in the repository).
	Sums     []byte
	SumsName string
	// Dir is the directory the binary is installed into; it must exist.
	Dir string
	// Binary is the file to extract from the archive; the product name when empty.
	Binary string
	// Client does the download; when nil, a client whose connection attempts
	// give up after 10 seconds. The whole download is bounded by Timeout.
	Client *http.Client
	// Timeout bounds the whole download; 10 minutes when zero.
	Timeout time.Duration
}

// Result describes an installed binary.
type Result struct {
	Path   string // the installed binary
	URL    string // where the archive came from
	SHA256 string // the archive's verified SHA-256, hex
}

// Install downloads the archive spec names, verifies it against the pinned
// SHA256SUMS in opts and installs its binary into opts.Dir. On error nothing
// is installed; the error wraps ErrUnreachable, ErrNotFound, ErrNoChecksum or
// ErrChecksumMismatch where one of those is the cause.
func Install(ctx context.Context, spec Spec, opts Options) (Result, error) {
	if spec.Product == "" || spec.Version == "" || spec.OS == "" || spec.Arch == "" {
		return Result{}, fmt.Errorf("incomplete release spec %+v", spec)
	}
	if fi, err := os.Stat(opts.Dir); err != nil {
		return Result{}, fmt.Errorf("install directory: %w", err)
	} else if !fi.IsDir() {
		return Result{}, fmt.Errorf("install directory %s is not a directory", opts.Dir)
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	binary := opts.Binary
	if binary == "" {
		binary = spec.Product
	}
	sumsName := opts.SumsName
	if sumsName == "" {
		sumsName = "the pinned SHA256SUMS"
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	client := opts.Client
	if client == nil {
		client = defaultClient()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// The pinned file must at least parse before anything is downloaded.
	sums, err := ParseSums(opts.Sums)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", sumsName, err)
	}

	// The line is looked up after the download, so that a server that cannot
	// be reached is reported as such (ErrUnreachable) whatever the pinned file
	// holds: that is the case a caller falls back from.
	url := spec.URL(base)
	zipPath, got, err := download(ctx, client, url)
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(zipPath)

	want, ok := sums[spec.Archive()]
	if !ok {
		return Result{}, fmt.Errorf("%s has no line for %s: %w", sumsName, spec.Archive(), ErrNoChecksum)
	}
	if got != want {
		return Result{}, fmt.Errorf("%s from %s: sha256 %s, want %s (pinned in %s): %w",
			spec.Archive(), url, got, want, sumsName, ErrChecksumMismatch)
	}

	path, err := extract(zipPath, binary, opts.Dir)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", spec.Archive(), err)
	}
	return Result{Path: path, URL: url, SHA256: got}, nil
}

// ParseSums reads a SHA256SUMS file ("<64 hex digits>  <file name>" per line,
// the name optionally prefixed by "*" or "./") into a map from file name to
// lower-case hex digest. Blank lines and lines starting with "#" are skipped,
// so that a pinned copy can say where it came from.
func ParseSums(data []byte) (map[string]string, error) {
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"<sha256>  <file>\", got %q", n, line)
		}
		sum := strings.ToLower(fields[0])
		if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("line %d: %q is not a SHA-256 in hex", n, fields[0])
		}
		name := strings.TrimPrefix(strings.TrimPrefix(fields[1], "*"), "./")
		if prev, dup := sums[name]; dup && prev != sum {
			return nil, fmt.Errorf("line %d: %s listed twice with different sums", n, name)
		}
		sums[name] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	return sums, nil
}

// defaultClient gives up quickly on a server it cannot reach, and leaves the
// bound of the whole download to the caller's context.
func defaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: t}
}

// download fetches url into a temporary file and returns its path and
// SHA-256. On error the temporary file is removed.
func download(ctx context.Context, client *http.Client, url string) (path, sum string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", "", fmt.Errorf("request for %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		// No answer at all: DNS, refused, no route, timeout, TLS.
		cause := err
		var ue *neturl.Error
		if errors.As(err, &ue) {
			cause = ue.Err // without the `Get "<url>": ` that the message already says
		}
		return "", "", fmt.Errorf("%s %w (%w)", req.URL.Host, ErrUnreachable, cause)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", "", fmt.Errorf("GET %s: %s: %w", url, resp.Status, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return "", "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}

	f, err := os.CreateTemp("", "release-*.zip")
	if err != nil {
		return "", "", fmt.Errorf("temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	if _, err = io.Copy(io.MultiWriter(f, h), resp.Body); err != nil {
		return "", "", fmt.Errorf("downloading %s: %w", url, err)
	}
	if err = f.Close(); err != nil {
		return "", "", fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil)), nil
}

// extract writes the archive's entry named binary (at the archive's top
// level) to dir/binary with mode 0755, through a temporary file renamed into
// place, so that dir/binary is either the old file or the whole new one.
func extract(zipPath, binary, dir string) (path string, err error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return "", fmt.Errorf("opening the archive: %w", err)
	}
	defer zr.Close()
	var entry *zip.File
	for _, f := range zr.File {
		if f.Name == binary && !f.FileInfo().IsDir() {
			entry = f
			break
		}
	}
	if entry == nil {
		return "", fmt.Errorf("the archive holds no file %q", binary)
	}
	r, err := entry.Open()
	if err != nil {
		return "", fmt.Errorf("opening %s in the archive: %w", binary, err)
	}
	defer r.Close()

	tmp, err := os.CreateTemp(dir, "."+binary+"-*")
	if err != nil {
		return "", fmt.Errorf("temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(r, maxBinary+1))
	if err != nil {
		return "", fmt.Errorf("extracting %s: %w", binary, err)
	}
	if n > maxBinary {
		return "", fmt.Errorf("extracting %s: larger than %d bytes", binary, maxBinary)
	}
	if err = tmp.Chmod(0o755); err != nil {
		return "", fmt.Errorf("extracting %s: %w", binary, err)
	}
	if err = tmp.Sync(); err != nil {
		return "", fmt.Errorf("extracting %s: %w", binary, err)
	}
	if err = tmp.Close(); err != nil {
		return "", fmt.Errorf("extracting %s: %w", binary, err)
	}
	path = filepath.Join(dir, binary)
	if err = os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("installing %s: %w", path, err)
	}
	return path, nil
}
