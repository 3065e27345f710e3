package deploy

import (
	"os"
	"strings"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

// register submits job (with EnforceIndex and modifyIndex as
// Jobs().RegisterOpts takes them) carrying the Consul token of whoever
// submits it (CONSUL_HTTP_TOKEN, or the file CONSUL_HTTP_TOKEN_FILE names),
// as the nomad CLI does: a cluster whose Nomad has
// consul.allow_unauthenticated = false registers a job's services only for
// a submitter whose token may write them. Nomad 1.6 reads it from the job's
// ConsulToken, checks it and does not keep it; this API client no longer
// has the field (later Nomads use workload identities), so the request is
// written here with it. Without a token it is Jobs().RegisterOpts.
func (c *Client) register(job *nomad.Job, enforce bool, modifyIndex uint64, q *nomad.WriteOptions) (*nomad.JobRegisterResponse, error) {
	token := submitterToken()
	if token == "" {
		resp, _, err := c.nomad.Jobs().RegisterOpts(job, &nomad.RegisterOptions{EnforceIndex: enforce, ModifyIndex: modifyIndex}, q)
		return resp, err
	}
	req := struct {
		Job            jobWithToken
		EnforceIndex   bool   `json:",omitempty"`
		JobModifyIndex uint64 `json:",omitempty"`
	}{Job: jobWithToken{job, token}, EnforceIndex: enforce, JobModifyIndex: modifyIndex}
	var resp nomad.JobRegisterResponse
	if _, err := c.nomad.Raw().Write("/v1/jobs", req, &resp, q); err != nil {
		return nil, err
	}
	return &resp, nil
}

// jobWithToken is a job as Nomad 1.6 takes it with its submitter's Consul
// token.
type jobWithToken struct {
	*nomad.Job
	ConsulToken string `json:",omitempty"`
}

// submitterToken is the Consul token svctl runs with, "" for none.
func submitterToken() string {
	cfg := consul.DefaultConfig()
	if cfg.TokenFile != "" {
		if b, err := os.ReadFile(cfg.TokenFile); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return cfg.Token
}
