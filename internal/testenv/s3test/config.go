package s3test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// args is the command line of `weed mini`: master, volume server, filer and
// S3 gateway in one process, the variant SeaweedFS tunes for a single-node
// dev store (in single-master mode its filer and master skip the waits for
// peers that `weed server` makes, ~8 s). Every port is given (weed's
// defaults are fixed ports, its gRPC ones the HTTP port + 10000); WebDAV,
// the admin UI and the Iceberg and Lance catalogs, which would take more
// fixed ports, are off; so is telemetry (to telemetry.seaweedfs.com).
func (s *Server) args() []string {
	p := func(i int) string { return strconv.Itoa(s.ports[i]) }
	return []string{
		"-logtostderr", "-config_dir=" + s.dir,
		"mini",
		"-dir=" + filepath.Join(s.dir, "data"),
		"-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port=" + p(0), "-master.port.grpc=" + p(1),
		"-master.peers=none", "-master.telemetry=false",
		"-volume.port=" + p(2), "-volume.port.grpc=" + p(3), "-volume.preStopSeconds=0",
		"-filer.port=" + p(4), "-filer.port.grpc=" + p(5),
		"-filer.localSocket=" + filepath.Join(s.dir, "filer.sock"),
		"-s3.port=" + p(6), "-s3.port.grpc=" + p(7),
		"-s3.port.iceberg=0", "-s3.port.lance=0",
		"-s3.config=" + filepath.Join(s.dir, "s3.json"),
		"-s3.localSocket=" + filepath.Join(s.dir, "s3.sock"),
		"-s3.autoCreateBucket=false",
		"-admin.ui=false", "-admin.port=" + p(8), "-admin.port.grpc=" + p(9), "-admin.port.legacy=0",
		"-webdav=false",
	}
}

// writeConfig writes the S3 identities and master.toml: grow one volume at
// a time instead of seven, as a bucket's first upload waits for them.
func (s *Server) writeConfig() error {
	identities := fmt.Sprintf(`{
  "identities": [
    {"name": "node",
     "credentials": [{"accessKey": %q, "secretKey": %q}],
     "actions": ["Read", "List"]},
    {"name": "publisher",
     "credentials": [{"accessKey": %q, "secretKey": %q}],
     "actions": ["Admin", "Read", "List", "Tagging", "Write"]}
  ]
}
`, NodeAccessKey, NodeSecretKey, AccessKey, SecretKey)
	master := "[master.volume_growth]\ncopy_1 = 1\n"
	if err := os.MkdirAll(filepath.Join(s.dir, "data"), 0o755); err != nil {
		return fmt.Errorf("make data dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "s3.json"), []byte(identities), 0o600); err != nil {
		return fmt.Errorf("write S3 identities: %w", err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "master.toml"), []byte(master), 0o644); err != nil {
		return fmt.Errorf("write master.toml: %w", err)
	}
	return nil
}
