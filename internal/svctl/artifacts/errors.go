package artifacts

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/minio/minio-go/v7"
)

// explain turns what minio-go returned into one line that names the
// endpoint and, for a refusal, the access key id (never the secret).
// Errors of the caller's own context pass as they are.
func (s *Store) explain(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("store unreachable at %s: %w", s.Endpoint, ue.Err)
	}
	var resp minio.ErrorResponse
	errors.As(err, &resp)
	switch resp.Code {
	case minio.NoSuchBucket:
		return fmt.Errorf("bucket %s does not exist at %s: create it (aws s3 mb s3://%s) or point SVCTL_ARTIFACTS at another (NoSuchBucket)",
			s.Bucket, s.Endpoint, s.Bucket)
	case minio.InvalidAccessKeyID:
		return fmt.Errorf("credentials refused by %s: it knows no access key id %q (InvalidAccessKeyId)", s.Endpoint, s.keyID())
	case minio.SignatureDoesNotMatch:
		return fmt.Errorf("credentials refused by %s: the secret key is not the one of access key id %q (SignatureDoesNotMatch)", s.Endpoint, s.keyID())
	case minio.AccessDenied:
		return s.denied(ctx, resp)
	case "":
		return fmt.Errorf("store at %s: %w", s.Endpoint, err)
	}
	return fmt.Errorf("store at %s: %s (%s)", s.Endpoint, resp.Message, resp.Code)
}

// denied explains an AccessDenied. The answer to a HEAD (how Publish looks
// for an object) has no body, so a refusal there may really be a wrong key
// or a missing bucket: a listing, whose answer says which, tells.
func (s *Store) denied(ctx context.Context, resp minio.ErrorResponse) error {
	id := s.keyID()
	if id == "" {
		return fmt.Errorf("%s refuses anonymous access and no credentials were found (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, an instance role) (AccessDenied)", s.Endpoint)
	}
	if resp.Key != "" { // a refusal about an object: see what a listing says
		var r minio.ErrorResponse
		if err := s.list(ctx); errors.As(err, &r) && r.Code != "" && r.Code != minio.AccessDenied {
			return s.explain(ctx, err)
		}
	}
	return fmt.Errorf("access denied by %s to access key id %q on s3://%s (AccessDenied): it needs s3:ListBucket, s3:GetObject and s3:PutObject there",
		s.Endpoint, id, s.Bucket)
}

// keyID returns the access key id requests are signed with, "" for none.
func (s *Store) keyID() string {
	v, err := s.creds.GetWithContext(nil)
	if err != nil {
		return ""
	}
	return v.AccessKeyID
}

// putFailed explains a failed upload. One cut half-way (the context ended,
// or the connection was lost) says so, and what it left under the key.
func (s *Store) putFailed(ctx context.Context, a Artifact, err error) error {
	what := fmt.Sprintf("publish %s: upload of %d bytes to %s", a.Name, a.Size, s.s3Name(a.Key))
	var ue *url.Error
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s cut (%w); %s", what, ctx.Err(), s.leftUnder(ctx, a))
	case errors.As(err, &ue):
		return fmt.Errorf("%s cut: connection to %s lost (%w); %s", what, s.Endpoint, ue.Err, s.leftUnder(ctx, a))
	case minio.ToErrorResponse(err).Code == minio.BadDigest:
		return fmt.Errorf("%s: the store received bytes whose sha256 is not %s (BadDigest): did the file change while it was published?", what, a.SHA256)
	}
	return fmt.Errorf("%s: %w", what, s.explain(ctx, err))
}

// leftUnder says what a cut upload left under a.Key, asking the store
// (even when ctx has ended) for at most 5 s.
func (s *Store) leftUnder(ctx context.Context, a Artifact) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	info, err := s.client.StatObject(ctx, s.Bucket, a.Key, minio.StatObjectOptions{Checksum: true})
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return "nothing was stored under the key"
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Sprintf("what is under the key could not be checked (%v); a later publish checks it before trusting it", err)
	}
	if m := mismatch(info, a); m != "" {
		return "the object under the key is not this file (" + m + "): a later publish replaces it"
	}
	return "yet the object under the key is this file: the upload had completed"
}
