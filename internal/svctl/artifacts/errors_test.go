package artifacts_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"microwizard/internal/freeport"
	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/testenv/s3test"
)

// checkErr fails unless err is one line holding every want.
func checkErr(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error; want one with %q", what, want)
		return
	}
	t.Logf("%s: %v", what, err)
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("%s: error of more than one line: %q", what, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not say %q", what, err, w)
		}
	}
}

// TestStoreUnreachable: nothing listens at the endpoint. Check and Publish
// say the store is unreachable, and where.
func TestStoreUnreachable(t *testing.T) {
	ports, err := freeport.Ports(1)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	t.Setenv("SVCTL_ARTIFACTS", "s3://artifacts/builds")
	t.Setenv("AWS_ENDPOINT_URL_S3", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	s, err := artifacts.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	checkErr(t, "Check", s.Check(ctx), "store unreachable at "+endpoint, "connection refused")
	path, _ := randomFile(t, t.TempDir(), 1000)
	_, err = s.Publish(ctx, path, "app")
	checkErr(t, "Publish", err, "publish app", "store unreachable at "+endpoint, "connection refused")
}

// TestBucketMissing: Check and Publish name the bucket and say to create it.
func TestBucketMissing(t *testing.T) {
	srv := server(t)
	setEnv(t, srv, "s3://no-such-bucket/builds")
	s, err := artifacts.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := []string{"bucket no-such-bucket does not exist at " + srv.Endpoint, "create it", "NoSuchBucket"}
	checkErr(t, "Check", s.Check(ctx), want...)
	path, _ := randomFile(t, t.TempDir(), 1000)
	_, err = s.Publish(ctx, path, "app")
	checkErr(t, "Publish", err, want...)
}

// TestCredentialsRefused: a wrong secret, an unknown key id, and no
// credentials at all. The errors name the key id, never the secret.
func TestCredentialsRefused(t *testing.T) {
	srv := server(t)
	bucket := newBucket(t, srv)
	ctx := context.Background()
	path, _ := randomFile(t, t.TempDir(), 1000)
	for _, c := range []struct {
		name, id, secret string
		want             []string
	}{
		{"wrong secret", s3test.AccessKey, "not-the-secret-at-all",
			[]string{"credentials refused by " + srv.Endpoint, `access key id "` + s3test.AccessKey + `"`, "SignatureDoesNotMatch"}},
		{"unknown key id", "NOSUCHKEYID", "whatever-secret",
			[]string{"credentials refused by " + srv.Endpoint, `no access key id "NOSUCHKEYID"`, "InvalidAccessKeyId"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			setEnv(t, srv, "s3://"+bucket)
			t.Setenv("AWS_ACCESS_KEY_ID", c.id)
			t.Setenv("AWS_SECRET_ACCESS_KEY", c.secret)
			s, err := artifacts.FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			err = s.Check(ctx)
			checkErr(t, "Check", err, c.want...)
			if err != nil && strings.Contains(err.Error(), c.secret) {
				t.Errorf("Check's error shows the secret: %v", err)
			}
			_, err = s.Publish(ctx, path, "app")
			checkErr(t, "Publish", err, c.want...)
			if err != nil && strings.Contains(err.Error(), c.secret) {
				t.Errorf("Publish's error shows the secret: %v", err)
			}
		})
	}

	t.Run("none", func(t *testing.T) {
		// Anonymous: the store lets anyone read (the nodes do), not write.
		s, err := artifacts.New(artifacts.Config{
			Bucket: bucket, Endpoint: srv.Endpoint,
			Creds: credentials.NewStatic("", "", "", credentials.SignatureAnonymous),
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Publish(ctx, path, "app")
		checkErr(t, "Publish", err, srv.Endpoint+" refuses anonymous access and no credentials were found", "AWS_ACCESS_KEY_ID")
	})
}
