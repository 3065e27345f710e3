package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The exit statuses are what scripts/setup reads: 3 (unreachable) lets it
// print one line and go on; anything else but 0 stops it.
func TestExitStatuses(t *testing.T) {
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("consul")
	w.Write([]byte("#!/bin/sh\necho 'Consul v1.14.0'\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(zbuf.Bytes())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/consul/1.14.0/consul_1.14.0_linux_amd64.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(zbuf.Bytes())
	}))
	defer srv.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	sums := filepath.Join(t.TempDir(), "consul_1.14.0_SHA256SUMS")
	if err := os.WriteFile(sums, []byte(hex.EncodeToString(h[:])+"  consul_1.14.0_linux_amd64.zip\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, base, arch string
		want             int
		out              string // in stdout, or stderr when the status is not 0
	}{
		{"installed", srv.URL, "amd64", 0, "consul 1.14.0: installed "},
		{"unreachable", down.URL, "amd64", exitUnreachable, " not reachable (dial tcp "},
		{"not pinned", srv.URL, "arm64", exitFailed, "nothing installed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var stdout, stderr bytes.Buffer
			got := run(context.Background(), []string{"-product", "consul", "-version", "1.14.0", "-os", "linux", "-arch", tc.arch,
				"-sums", sums, "-dir", dir, "-base", tc.base}, &stdout, &stderr)
			if got != tc.want {
				t.Fatalf("exit %d, want %d; stderr %q", got, tc.want, stderr.String())
			}
			out := stdout.String()
			if tc.want != 0 {
				out = stderr.String()
				if n := strings.Count(out, "\n"); n != 1 {
					t.Errorf("%d lines on stderr, want one: %q", n, out)
				}
			}
			if !strings.Contains(out, tc.out) {
				t.Errorf("output %q does not say %q", out, tc.out)
			}
		})
	}

	var stderr bytes.Buffer
	if got := run(context.Background(), []string{"-product", "consul"}, &bytes.Buffer{}, &stderr); got != exitUsage {
		t.Errorf("incomplete arguments: exit %d, want %d", got, exitUsage)
	}
}

// MW_RELEASES_URL replaces the release server when -base is not given.
func TestReleasesURLFromEnvironment(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	t.Setenv("MW_RELEASES_URL", down.URL)
	sums := filepath.Join(t.TempDir(), "sums")
	if err := os.WriteFile(sums, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	got := run(context.Background(), []string{"-product", "nomad", "-version", "1.6.5", "-sums", sums, "-dir", t.TempDir()},
		&bytes.Buffer{}, &stderr)
	if got != exitUnreachable || !strings.Contains(stderr.String(), strings.TrimPrefix(down.URL, "http://")) {
		t.Errorf("exit %d, stderr %q; want %d naming %s", got, stderr.String(), exitUnreachable, down.URL)
	}
}
