package artifacts

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// The defaults when the environment names no endpoint or region.
const (
	DefaultEndpoint = "https://s3.amazonaws.com"
	DefaultRegion   = "us-east-1"
)

// Store is a bucket, and a key prefix in it, on an S3-compatible endpoint.
// Its methods may be called concurrently.
type Store struct {
	Bucket   string
	Prefix   string // "" or segments joined by "/", without a leading or trailing "/"
	Endpoint string // scheme://host[:port]
	Region   string

	// Progress, when set, is called as an upload reads the file: sent
	// bytes of total so far. For a progress display.
	Progress func(sent, total int64)

	client *minio.Client
	creds  *credentials.Credentials
	// Where nodes fetch objects from: URL = urlBase + "/" + key + urlQuery.
	urlBase, urlQuery string
}

// Config says where a Store is; FromEnv fills it from the environment.
type Config struct {
	Bucket   string
	Prefix   string
	Endpoint string                   // "" means DefaultEndpoint
	Region   string                   // "" means DefaultRegion
	Creds    *credentials.Credentials // nil means the AWS chain (see the package doc)
}

// FromEnv returns the store SVCTL_ARTIFACTS names, on the endpoint, region
// and credentials of the AWS environment; (nil, nil) when SVCTL_ARTIFACTS
// is unset or empty. It sends nothing: Check does.
func FromEnv() (*Store, error) {
	loc := os.Getenv("SVCTL_ARTIFACTS")
	if loc == "" {
		return nil, nil
	}
	bucket, prefix, err := ParseLocation(loc)
	if err != nil {
		return nil, fmt.Errorf("SVCTL_ARTIFACTS=%q: %w", loc, err)
	}
	cfg := Config{Bucket: bucket, Prefix: prefix, Region: firstEnv("AWS_REGION", "AWS_DEFAULT_REGION")}
	for _, name := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(name); v != "" {
			if cfg.Endpoint, err = parseEndpoint(v); err != nil {
				return nil, fmt.Errorf("%s=%q: %w", name, v, err)
			}
			break
		}
	}
	return New(cfg)
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// segment is one element of a prefix, and an artifact's name: what needs no
// escaping in a URL or a shell.
var segment = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// ParseLocation splits s3://BUCKET[/PREFIX] into a bucket (S3's naming
// rules) and a prefix of segments of letters, digits and ._+- (a trailing
// "/" is dropped).
func ParseLocation(loc string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(loc, "s3://")
	if !ok {
		return "", "", errors.New("want s3://BUCKET[/PREFIX]")
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if err := s3utils.CheckValidBucketNameStrict(bucket); err != nil {
		return "", "", fmt.Errorf("bucket %q: %w", bucket, err)
	}
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix != "" {
		for _, seg := range strings.Split(prefix, "/") {
			if !segment.MatchString(seg) {
				return "", "", fmt.Errorf("prefix %q: segment %q: want letters, digits and ._+-, starting with a letter or digit", prefix, seg)
			}
		}
	}
	return bucket, prefix, nil
}

// parseEndpoint checks an endpoint URL and returns it as scheme://host[:port].
func parseEndpoint(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("want http:// or https://")
	}
	if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("want scheme://host[:port] and nothing else")
	}
	return u.Scheme + "://" + u.Host, nil
}

// New returns the Store cfg describes. It sends nothing: Check does.
func New(cfg Config) (*Store, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Creds == nil {
		cfg.Creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.FileAWSCredentials{},
			&credentials.IAM{},
		})
	}
	if _, _, err := ParseLocation("s3://" + cfg.Bucket + "/" + cfg.Prefix); err != nil {
		return nil, err
	}
	endpoint, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", cfg.Endpoint, err)
	}
	u, _ := url.Parse(endpoint)
	secure := u.Scheme == "https"
	transport, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("HTTP transport for %s: %w", endpoint, err)
	}
	transport.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	aws := s3utils.IsAmazonEndpoint(*u)
	lookup := minio.BucketLookupPath
	if aws {
		lookup = minio.BucketLookupAuto
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:           cfg.Creds,
		Secure:          secure,
		Transport:       transport,
		Region:          cfg.Region,
		BucketLookup:    lookup,
		TrailingHeaders: true, // needed to send our own x-amz-checksum-sha256
		MaxRetries:      3,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 client for %s: %w", endpoint, err)
	}
	s := &Store{
		Bucket:   cfg.Bucket,
		Prefix:   strings.Trim(cfg.Prefix, "/"),
		Endpoint: endpoint,
		Region:   cfg.Region,
		client:   client,
		creds:    cfg.Creds,
	}
	s.urlBase, s.urlQuery = nodeURL(endpoint, aws, cfg.Bucket, cfg.Region)
	return s, nil
}

// getterDefaultRegion is the region go-getter's S3 getter signs for when
// an endpoint's URL names none.
const getterDefaultRegion = "us-east-1"

// nodeURL returns the base and the query of the URLs nodes fetch objects
// from, in go-getter's S3 form (s3::), which the node's getter fetches
// with the node's own credentials. go-getter v1.7 (get_s3.go, parseUrl and
// getAWSConfig) reads a host that is not AWS's as an endpoint addressed
// path-style, ENDPOINT/BUCKET/KEY, signing for the URL's region parameter
// (us-east-1 without one), and honours the URL's host, path style and
// plain http only when its credentials are set. Of an AWS host it reads
// the region from the host, and the forms that stay right when it forces
// the path style on the URL's host are s3.amazonaws.com/BUCKET/KEY
// (us-east-1) and s3-REGION.amazonaws.com/BUCKET/KEY: it reads
// s3.REGION.amazonaws.com as a virtual host whose bucket is "s3", and a
// virtual host BUCKET.s3.REGION.amazonaws.com would be asked for
// /BUCKET/KEY. (AWS serves s3-REGION hosts in its older regions only.)
func nodeURL(endpoint string, aws bool, bucket, region string) (base, query string) {
	if !aws {
		if region != getterDefaultRegion {
			query = "?" + url.Values{"region": {region}}.Encode()
		}
		return "s3::" + endpoint + "/" + bucket, query
	}
	host := "s3-" + region + ".amazonaws.com"
	if region == getterDefaultRegion {
		host = "s3.amazonaws.com"
	}
	return "s3::https://" + host + "/" + bucket, ""
}

// URL returns where nodes fetch the object under key: go-getter's S3 form,
// s3::ENDPOINT/BUCKET/KEY, with ?region=REGION where the store is not on
// AWS and its region is not us-east-1 (see the package doc). It holds no
// credentials: a node fetches with its own.
func (s *Store) URL(key string) string { return s.urlBase + "/" + key + s.urlQuery }

// key returns the key of the object at u, a URL this store gave out.
func (s *Store) key(u string) (string, bool) {
	rest, ok := strings.CutPrefix(u, s.urlBase+"/")
	if !ok {
		return "", false
	}
	key, _, _ := strings.Cut(rest, "?")
	return key, key != ""
}

// Location returns the store as SVCTL_ARTIFACTS names it: s3://BUCKET[/PREFIX].
func (s *Store) Location() string {
	if s.Prefix == "" {
		return "s3://" + s.Bucket
	}
	return "s3://" + s.Bucket + "/" + s.Prefix
}

// String returns Location() at Endpoint.
func (s *Store) String() string { return s.Location() + " at " + s.Endpoint }
