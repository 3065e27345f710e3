package e2e

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"context"

	"microwizard/lobsters/reader"
	"microwizard/lobsters/seed"
)

var uploadedRE = regexp.MustCompile(`(?m)^==> published \S+ \(.*\): uploaded (\d+) bytes$`)

// BenchmarkRunRemoteVsLocal measures `svctl run … UNCOMMITTED_COPY` to the
// first /popular answer from the new instance, on the local dev agent and on
// a node of the multi-node cluster (published to the artifact store and
// fetched by the node), alternately in one run, after a warm-up run on
// each. The tree does not change between runs, so the remote runs after the
// first upload nothing: the bytes of the last are reported. Goal: remote at
// most 1.3x local.
func BenchmarkRunRemoteVsLocal(b *testing.B) {
	local := newCluster(b, seed.Default.Scale(0.05))
	remote := startMultiNode(b)
	local.svctl("run", "lobsters-popularity", "lobpop_warm", "UNCOMMITTED_COPY")
	remote.svctl("run", "-var", "node=n2", "lobsters-popularity", "lobpop_warm", "UNCOMMITTED_COPY")
	var localS, remoteS []float64
	var lastUploaded int64 = -1
	for i := 0; i < 3; i++ {
		name := "lobpop_r" + strconv.Itoa(i)
		start := time.Now()
		local.svctl("run", "lobsters-popularity", name, "UNCOMMITTED_COPY")
		local.waitFor("the new local instance answering", 30*time.Second, func() bool {
			for j := 0; j < 4; j++ {
				if p := local.popular(); p.Version == name {
					return true
				}
			}
			return false
		})
		localS = append(localS, time.Since(start).Seconds())
		local.svctl("stop", name)

		start = time.Now()
		out := remote.svctl("run", "-var", "node=n2", "lobsters-popularity", name, "UNCOMMITTED_COPY")
		remote.waitFor("the new remote instance answering", 30*time.Second, func() bool {
			for j := 0; j < 4; j++ {
				if p, err := reader.Get(context.Background(), remote.client, remote.web+"/popular"); err == nil && p.Version == name {
					return true
				}
			}
			return false
		})
		remoteS = append(remoteS, time.Since(start).Seconds())
		lastUploaded = 0
		if m := uploadedRE.FindStringSubmatch(out); m != nil {
			lastUploaded, _ = strconv.ParseInt(m[1], 10, 64)
		}
		remote.svctl("stop", name)
	}
	l, r := median64(localS), median64(remoteS)
	b.ReportMetric(l, "local-s")
	b.ReportMetric(r, "remote-s")
	b.ReportMetric(r/l, "remote/local")
	b.ReportMetric(float64(lastUploaded), "unchanged-uploaded-bytes")
}
