package access

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/svctl/agents"
)

// authzRequest is one item of Consul's POST /v1/internal/acl/authorize
// (agent/acl_endpoint.go ACLAuthorize, agent/structs ACLAuthorizationRequest
// in v1.14): Resource is acl.Resource ("service", "intention", "key",
// "node", ...), Access what acl.Enforce takes for it ("read", "write",
// "list", "write-prefix" for keys).
type authzRequest struct {
	Resource string
	Segment  string `json:",omitempty"`
	Access   string
}

// authzResponse is one item of its answer: the request and Allow.
type authzResponse struct {
	authzRequest
	Allow bool
}

// maxAuthorize is how many items Consul takes in one call (maxRequests).
const maxAuthorize = 64

// consulRights are what the Consul token may do, for the needs asked.
type consulRights struct {
	all     bool
	allowed map[authzRequest]bool
	who     string
}

func (r *consulRights) holds(n Need) bool {
	return r.all || r.allowed[consulRequest(n)]
}

// consulRequest is the authorize item that decides n.
func consulRequest(n Need) authzRequest {
	switch n.kind {
	case consulService:
		return authzRequest{Resource: "service", Segment: n.name, Access: n.access}
	case consulIntentions:
		return authzRequest{Resource: "intention", Segment: n.name, Access: Write}
	case consulKeyPrefix:
		if n.access == Write {
			// Every key under the prefix, as a recursive write or delete
			// needs (Authorizer.KeyWritePrefix).
			return authzRequest{Resource: "key", Segment: n.name, Access: "write-prefix"}
		}
		return authzRequest{Resource: "key", Segment: n.name, Access: Read}
	default:
		return authzRequest{Resource: "node", Segment: n.name, Access: Read}
	}
}

// readConsulRights asks Consul, in one call (one per 64 needs), which of
// the needs its token holds. With Consul's ACLs off the endpoint answers
// 401 "ACL support disabled": every right is held.
func readConsulRights(ctx context.Context, cc *consul.Client, needs []Need) (*consulRights, error) {
	r := &consulRights{allowed: map[authzRequest]bool{}, who: consulWho()}
	var reqs []authzRequest
	seen := map[authzRequest]bool{}
	for _, n := range needs {
		if q := consulRequest(n); !seen[q] {
			seen[q] = true
			reqs = append(reqs, q)
		}
	}
	for len(reqs) > 0 {
		batch := reqs[:min(len(reqs), maxAuthorize)]
		reqs = reqs[len(batch):]
		var answers []authzResponse
		err := agents.ConsulPost(ctx, cc, "/v1/internal/acl/authorize", batch, &answers)
		var se consul.StatusError
		switch {
		case err == nil:
		case errors.As(err, &se) && se.Code == http.StatusUnauthorized && strings.Contains(se.Body, "ACL support disabled"):
			return &consulRights{all: true}, nil
		default:
			if te := agents.ConsulTokenError(err); te != nil {
				return nil, te
			}
			return nil, fmt.Errorf("consul: ask which rights %s holds: %w", r.who, err)
		}
		if len(answers) != len(batch) {
			return nil, fmt.Errorf("consul: asked about %d rights, answered %d", len(batch), len(answers))
		}
		for i, a := range answers {
			r.allowed[batch[i]] = a.Allow
		}
	}
	return r, nil
}

// consulWho names the Consul token for a message, by its variable.
func consulWho() string {
	cfg := consul.DefaultConfig()
	if cfg.Token == "" && cfg.TokenFile == "" {
		return "the anonymous token (CONSUL_HTTP_TOKEN is not set)"
	}
	return fmt.Sprintf("the token (%s)", agents.ConsulTokenEnv())
}
