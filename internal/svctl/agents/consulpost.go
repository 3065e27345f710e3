package agents

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	consul "github.com/hashicorp/consul/api"
)

// consulConn is what a POST to the agent of a client Consul made needs:
// the client's own HTTP client (bound to the command), address and token.
type consulConn struct {
	http  *http.Client
	base  string // scheme://host:port[/prefix]
	token string
	auth  *consul.HttpBasicAuth
}

var consulConns sync.Map // *consul.Client → consulConn

// remember keeps what ConsulPost needs of a client Consul made: the Consul
// API client keeps its configuration to itself.
func remember(c *consul.Client, cfg *consul.Config) {
	base := cfg.Scheme + "://" + cfg.Address + cfg.PathPrefix
	if cfg.Scheme == "" {
		base = "http://" + cfg.Address + cfg.PathPrefix
	}
	if strings.HasPrefix(cfg.Address, "/") {
		base = "http://consul" + cfg.PathPrefix // a unix socket: the transport dials it
	}
	consulConns.Store(c, consulConn{http: cfg.HttpClient, base: base, token: cfg.Token, auth: cfg.HttpAuth})
}

// ConsulPost sends in as JSON by POST to path on the agent of c, a client
// Consul made, with c's token, and decodes the answer into out. It is for
// the Consul endpoints that take POST and not PUT, such as
// /v1/internal/acl/authorize, which the API client's Raw().Write (PUT)
// cannot call. A status other than 200 is a consul.StatusError, as the API
// client returns it.
func ConsulPost(ctx context.Context, c *consul.Client, path string, in, out any) error {
	v, ok := consulConns.Load(c)
	if !ok {
		return errors.New("consul: the client was not made by agents.Consul")
	}
	conn := v.(consulConn)
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("consul: encode the body of POST %s: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, conn.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("consul: POST %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if conn.token != "" {
		req.Header.Set("X-Consul-Token", conn.token)
	}
	if conn.auth != nil {
		req.SetBasicAuth(conn.auth.Username, conn.auth.Password)
	}
	resp, err := conn.http.Do(req)
	if err != nil {
		return fmt.Errorf("consul: POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("consul: read the answer to POST %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return consul.StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("consul: decode the answer to POST %s: %w", path, err)
	}
	return nil
}
