package artifacts_test

import (
	"strings"
	"testing"

	"microwizard/internal/svctl/artifacts"
)

// TestFromEnv reads the store's location, endpoint and region from the
// environment, and refuses malformed values naming the variable. It sends
// nothing.
func TestFromEnv(t *testing.T) {
	for _, c := range []struct {
		name                 string
		env                  map[string]string // unset: ""
		bucket, prefix, endp string
		url                  string // the URL of key "k": go-getter's S3 form
	}{
		{"bucket only", map[string]string{"SVCTL_ARTIFACTS": "s3://artifacts", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"},
			"artifacts", "", "http://127.0.0.1:9000", "s3::http://127.0.0.1:9000/artifacts/k"},
		{"prefix, trailing slashes", map[string]string{"SVCTL_ARTIFACTS": "s3://my-bucket/team/builds/", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000/"},
			"my-bucket", "team/builds", "http://127.0.0.1:9000", "s3::http://127.0.0.1:9000/my-bucket/k"},
		{"the S3 endpoint wins", map[string]string{"SVCTL_ARTIFACTS": "s3://b-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_S3": "https://s3.example.test:8443"},
			"b-1", "", "https://s3.example.test:8443", "s3::https://s3.example.test:8443/b-1/k"},
		{"the generic endpoint", map[string]string{"SVCTL_ARTIFACTS": "s3://b-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:7480"},
			"b-1", "", "http://127.0.0.1:7480", "s3::http://127.0.0.1:7480/b-1/k"},
		{"an endpoint, us-east-1 named", map[string]string{"SVCTL_ARTIFACTS": "s3://svctl/runs", "AWS_ENDPOINT_URL_S3": "http://10.77.0.2:8333", "AWS_REGION": "us-east-1"},
			"svctl", "runs", "http://10.77.0.2:8333", "s3::http://10.77.0.2:8333/svctl/k"},
		{"an endpoint in another region", map[string]string{"SVCTL_ARTIFACTS": "s3://b-1", "AWS_ENDPOINT_URL_S3": "https://minio.example.test", "AWS_REGION": "eu-west-3"},
			"b-1", "", "https://minio.example.test", "s3::https://minio.example.test/b-1/k?region=eu-west-3"},
		{"AWS", map[string]string{"SVCTL_ARTIFACTS": "s3://artifacts/x", "AWS_REGION": "eu-west-3"},
			"artifacts", "x", "https://s3.amazonaws.com", "s3::https://s3-eu-west-3.amazonaws.com/artifacts/k"},
		{"AWS, default region", map[string]string{"SVCTL_ARTIFACTS": "s3://artifacts"},
			"artifacts", "", "https://s3.amazonaws.com", "s3::https://s3.amazonaws.com/artifacts/k"},
		{"AWS, AWS_DEFAULT_REGION", map[string]string{"SVCTL_ARTIFACTS": "s3://artifacts", "AWS_DEFAULT_REGION": "ap-south-1"},
			"artifacts", "", "https://s3.amazonaws.com", "s3::https://s3-ap-south-1.amazonaws.com/artifacts/k"},
		{"AWS, a bucket with dots", map[string]string{"SVCTL_ARTIFACTS": "s3://a.b.c", "AWS_REGION": "eu-west-3"},
			"a.b.c", "", "https://s3.amazonaws.com", "s3::https://s3-eu-west-3.amazonaws.com/a.b.c/k"},
		{"AWS, its regional endpoint", map[string]string{"SVCTL_ARTIFACTS": "s3://artifacts", "AWS_ENDPOINT_URL_S3": "https://s3.eu-west-3.amazonaws.com", "AWS_REGION": "eu-west-3"},
			"artifacts", "", "https://s3.eu-west-3.amazonaws.com", "s3::https://s3-eu-west-3.amazonaws.com/artifacts/k"},
	} {
		t.Run(c.name, func(t *testing.T) {
			setVars(t, c.env)
			s, err := artifacts.FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			if s.Bucket != c.bucket || s.Prefix != c.prefix || s.Endpoint != c.endp || s.URL("k") != c.url {
				t.Errorf("bucket %q, prefix %q, endpoint %q, URL(k) %q; want %q, %q, %q, %q",
					s.Bucket, s.Prefix, s.Endpoint, s.URL("k"), c.bucket, c.prefix, c.endp, c.url)
			}
		})
	}

	t.Run("unset", func(t *testing.T) {
		setVars(t, map[string]string{"AWS_ENDPOINT_URL_S3": "not a URL"})
		if s, err := artifacts.FromEnv(); s != nil || err != nil {
			t.Errorf("FromEnv without SVCTL_ARTIFACTS: %v, %v; want nil, nil", s, err)
		}
	})

	for _, c := range []struct {
		env  map[string]string
		want string // in the error
	}{
		{map[string]string{"SVCTL_ARTIFACTS": "artifacts"}, `SVCTL_ARTIFACTS="artifacts": want s3://BUCKET[/PREFIX]`},
		{map[string]string{"SVCTL_ARTIFACTS": "https://artifacts/x"}, "want s3://BUCKET"},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://"}, `bucket ""`},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://Artifacts"}, `bucket "Artifacts"`},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://ab"}, `bucket "ab"`},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://bucket_x"}, `bucket "bucket_x"`},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://bucket//x"}, `segment ""`},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://bucket/a/../b"}, `segment ".."`},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://bucket/a b"}, `segment "a b"`},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://bucket", "AWS_ENDPOINT_URL_S3": "127.0.0.1:9000"}, `AWS_ENDPOINT_URL_S3="127.0.0.1:9000"`},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://bucket", "AWS_ENDPOINT_URL": "ftp://127.0.0.1"}, `AWS_ENDPOINT_URL="ftp://127.0.0.1": want http:// or https://`},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://bucket", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000/bucket"}, "want scheme://host[:port] and nothing else"},
		{map[string]string{"SVCTL_ARTIFACTS": "s3://bucket", "AWS_ENDPOINT_URL_S3": "http://"}, "want scheme://host[:port]"},
	} {
		setVars(t, c.env)
		s, err := artifacts.FromEnv()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromEnv with %v: %v, %v; want an error with %q", c.env, s, err, c.want)
		}
	}
}

// setVars sets the variables FromEnv reads to env's values, "" for the others.
func setVars(t *testing.T, env map[string]string) {
	for _, name := range []string{"SVCTL_ARTIFACTS", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(name, env[name])
	}
}
