// Package s3test starts a real S3-compatible store, SeaweedFS (`weed
// mini`: master, volume server, filer and S3 gateway in one process), on
// free loopback ports with its data in a temporary directory, for tests and
// for the project's scripts: the artifact store svctl publishes to (Start,
// StartServer). It takes ~5 s to take writes.
//
// The server has two identities and no anonymous access: AccessKey and
// SecretKey, allowed everything (svctl's, to publish), and NodeAccessKey
// and NodeSecretKey, which may only read and list: a Nomad node's, whose
// go-getter fetches an artifact's s3:: source with them (NodeEnv). Buckets
// are not created on upload (as on AWS): CreateBucket makes one.
//
// The binary is the `weed` on PATH (scripts/setup builds it from
// deps/seaweedfs). When there is none a test is skipped with the reason,
// except under CI.
package s3test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"microwizard/internal/freeport"
	"microwizard/internal/proclog"
)

// The credentials of the server's identities, and the region its clients
// sign for (SeaweedFS accepts any).
const (
	AccessKey = "s3test-publisher"
	SecretKey = "s3test-secret-d3f1c0e6a9b24c7e"
	// A node's read-only key.
	NodeAccessKey = "s3test-node"
	NodeSecretKey = "s3test-node-secret-7a91c2e05b"
	Region        = "us-east-1"
)

// NodeEnv is the environment of a Nomad agent whose go-getter reads the
// store with the node's read-only key (the agent's client config passes
// these on: artifact.set_environment_variables). AWS_METADATA_URL, a
// dummy, makes the getter's AWS SDK keep an s3:: URL's host and plain
// HTTP (see ../../../README.md, Clusters).
func NodeEnv() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + NodeAccessKey, "AWS_SECRET_ACCESS_KEY=" + NodeSecretKey, "AWS_METADATA_URL=http://127.0.0.1:1"}
}

const (
	readyTimeout = 60 * time.Second
	startTries   = 3 // free ports can be taken between finding and binding them
)

// ErrNoBinary is returned by Binary and StartServer when there is no weed on PATH.
var ErrNoBinary = errors.New("no weed (SeaweedFS) on PATH: run scripts/setup (it builds it from deps/seaweedfs into ~/.cache/microwizard/bin) and put that directory on PATH, or run `just test`")

// errExited marks a start where weed exited by itself (a port taken since it
// was found free, most often): StartServer tries again on other ports.
var errExited = errors.New("weed exited during start")

// Server is a running SeaweedFS with its S3 gateway.
type Server struct {
	Endpoint  string // http://127.0.0.1:PORT, the S3 API
	AccessKey string
	SecretKey string
	Region    string
	Client    *minio.Client // signed with AccessKey, path-style, may send S3 checksums

	bin     string
	dir     string // config, sockets and data; removed by Stop
	ports   []int  // HTTP and gRPC of master, volume, filer, s3, admin
	proc    *process
	stopped bool
}

// process is one run of weed.
type process struct {
	cmd  *exec.Cmd
	log  *proclog.Log
	done chan struct{} // closed when the process has exited
}

// Binary returns the path of the weed binary on PATH, or ErrNoBinary.
func Binary() (string, error) {
	p, err := exec.LookPath("weed")
	if err != nil {
		return "", ErrNoBinary
	}
	return p, nil
}

// StartServer runs SeaweedFS on free loopback ports, its data in a new
// temporary directory, and returns once its S3 API takes writes. The server
// runs until Stop, which the caller must call; ctx bounds only the start.
func StartServer(ctx context.Context) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var errs []error
	for try := 0; try < startTries; try++ {
		s, err := start(ctx, bin)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil || !errors.Is(err, errExited) {
			break
		}
	}
	return nil, fmt.Errorf("start SeaweedFS S3 server: %w", errors.Join(errs...))
}

func start(ctx context.Context, bin string) (*Server, error) {
	ports, err := freeport.Ports(10)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "s3test-")
	if err != nil {
		return nil, fmt.Errorf("make server dir: %w", err)
	}
	s := &Server{
		Endpoint:  "http://127.0.0.1:" + strconv.Itoa(ports[6]),
		AccessKey: AccessKey,
		SecretKey: SecretKey,
		Region:    Region,
		bin:       bin,
		dir:       dir,
		ports:     ports,
	}
	if err := s.writeConfig(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.Client, err = minio.New("127.0.0.1:"+strconv.Itoa(ports[6]), &minio.Options{
		Creds:           credentials.NewStaticV4(AccessKey, SecretKey, ""),
		Region:          Region,
		BucketLookup:    minio.BucketLookupPath,
		TrailingHeaders: true,
		MaxRetries:      1,
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("S3 client for %s: %w", s.Endpoint, err)
	}
	if err := s.run(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// run starts weed in s.dir on s.ports and waits until S3 takes writes.
func (s *Server) run(ctx context.Context) error {
	p := &process{log: &proclog.Log{}, done: make(chan struct{})}
	p.cmd = exec.Command(s.bin, s.args()...)
	p.cmd.Dir = s.dir
	p.cmd.Env = os.Environ()
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	// Should this process die without calling Stop, weed goes too.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	s.proc = p
	return s.waitReady(ctx)
}

// waitReady waits until a signed ListBuckets succeeds (the filer behind
// the gateway answers), then until a first write goes through: S3 answers
// ~1 s before the filer's lock ring is up, and a PUT made in between waits
// for it. The write is a small object in WarmUpBucket.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		lctx, lcancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := s.Client.ListBuckets(lctx)
		lcancel()
		if err == nil {
			break
		}
		select {
		case <-s.proc.done:
			return fmt.Errorf("%w; log:\n%s", errExited, s.Log())
		case <-ctx.Done():
			return fmt.Errorf("SeaweedFS S3 at %s not ready within %s: %v; log:\n%s",
				s.Endpoint, readyTimeout, err, s.Log())
		case <-tick.C:
		}
	}
	if err := s.warmUp(ctx); err != nil {
		return fmt.Errorf("SeaweedFS S3 at %s: a first write: %w; log:\n%s", s.Endpoint, err, s.Log())
	}
	return nil
}

// WarmUpBucket is the bucket of the first write of each start. It is kept,
// so that the write after a StartAgain goes to its existing volume: for
// ~15 s after a restart with data, SeaweedFS grows no new volume, so a
// bucket's first write waits that long.
const WarmUpBucket = "s3test-warm-up"

func (s *Server) warmUp(ctx context.Context) error {
	exists, err := s.Client.BucketExists(ctx, WarmUpBucket)
	if err != nil {
		return err
	}
	if !exists {
		if err := s.CreateBucket(ctx, WarmUpBucket); err != nil {
			return err
		}
	}
	if _, err := s.Client.PutObject(ctx, WarmUpBucket, "w", strings.NewReader("w"), 1, minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("put %s/w: %w", WarmUpBucket, err)
	}
	return nil
}

// CreateBucket makes a bucket.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	if err := s.Client.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: s.Region}); err != nil {
		return fmt.Errorf("create bucket %s at %s: %w", name, s.Endpoint, err)
	}
	return nil
}

// Env returns the environment that points AWS tools, and svctl's artifacts
// package, at this server with its credentials. SVCTL_ARTIFACTS (which
// bucket) is the caller's.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_REGION=" + s.Region,
	}
}
