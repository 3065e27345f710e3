// Package artifacts publishes what a Nomad node needs to run an instance
// (the service binary; for docker also a source archive) to an
// S3-compatible store, content-addressed, for jobs to fetch with Nomad's
// artifact block:
//
//	artifact {
//	  source  = "<Artifact.URL>"
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
// Where the store is comes from the environment, as AWS tools read it:
//
//	SVCTL_ARTIFACTS                       s3://BUCKET[/PREFIX]; unset: no store
//	AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL the S3 endpoint (default AWS: https://s3.amazonaws.com)
//	AWS_REGION, AWS_DEFAULT_REGION        the region to sign for (default us-east-1)
//	AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
//	AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE, an instance or container role
//	                                      the credentials, in that order (minio-go's chain)
//
// Other endpoints than AWS are addressed path-style (ENDPOINT/BUCKET/KEY),
// which is also the URL nodes get; for AWS the URL is virtual-hosted
// (https://BUCKET.s3.REGION.amazonaws.com/KEY). Nodes download with a plain
// GET, so the bucket must allow anonymous reads of the prefix (a bucket
// policy on AWS, an anonymous Read identity on SeaweedFS) or the nodes must
// reach it some other way.
package artifacts
