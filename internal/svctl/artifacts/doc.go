// Package artifacts publishes what a Nomad node needs to run an instance
// (the service binary; for docker also an archive of the source files the
// build reads) to an S3-compatible store, content-addressed, for jobs to
// fetch with Nomad's artifact block:
//
//	artifact {
//	  source  = "<Artifact.URL>"                       # s3::ENDPOINT/BUCKET/KEY
//	  options { checksum = "<Artifact.Checksum()>" }   # sha256:<hex>
//	}
//
// An artifact's key is PREFIX/sha256/<hex>/<name>: the same bytes always land
// under the same key, so a second Publish of unchanged content uploads
// nothing, and different bytes never overwrite a published artifact. An
// object already under the key is trusted only when its size and a sha256
// the store holds for it (the x-amz-meta-sha256 Publish sets, or the S3
// checksum) are the artifact's; anything else, a corrupted or foreign
// object, is replaced. An upload is one PUT carrying the file's sha256 as
// its S3 checksum (x-amz-checksum-sha256): the store keeps the object only
// if every byte arrived and hashes to it, so an upload cut half-way leaves
// nothing under the key. go-getter checks the checksum again on the node.
//
// PublishBuild publishes nothing whose name looks like a secret's (.env,
// .env.*, *.pem, *.key, id_*: see SecretPattern) unless the build names it
// as allowed: it refuses such a file before anything is uploaded.
//
// Where the store is comes from the environment, as AWS tools read it:
//
//	SVCTL_ARTIFACTS                       s3://BUCKET[/PREFIX]; unset: no store
//	AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL the S3 endpoint (default AWS: https://s3.amazonaws.com)
//	AWS_REGION, AWS_DEFAULT_REGION        the region to sign for (default us-east-1)
//	AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
//	AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE, an instance or container role
//	                                      the credentials, in that order (minio-go's chain)
//
// svctl uploads path-style to other endpoints than AWS (ENDPOINT/BUCKET/KEY).
// Nodes fetch with go-getter's S3 getter and their own credentials, so the
// bucket needs no anonymous read: Artifact.URL is go-getter's S3 form,
// s3::ENDPOINT/BUCKET/KEY, with ?region=REGION when the region is not
// us-east-1 (go-getter's default), for example
//
//	s3::http://10.77.0.2:8333/svctl/runs/sha256/<hex>/lobsters-popularity
//
// and on AWS s3::https://s3.amazonaws.com/BUCKET/KEY (us-east-1) or
// s3::https://s3-REGION.amazonaws.com/BUCKET/KEY, the path-style forms
// go-getter v1.7 reads right (see nodeURL). The URL and the job hold no
// credentials. go-getter v1.7 addresses a custom endpoint by the URL's
// host, path style and plain http only when it has credentials, so the
// node's getter needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a key
// that may read the prefix: s3:GetObject; Nomad's artifact mode "file", and
// a .tar.gz in any mode, asks for nothing else) and AWS_METADATA_URL in its
// environment (Nomad's client artifact { set_environment_variables }).
package artifacts
