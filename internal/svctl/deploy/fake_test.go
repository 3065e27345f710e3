package deploy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/record"
)

// request is one request a fake agent received.
type request struct {
	Method, Path string
	Purge        string // the purge parameter of a DELETE of a job; "" when there was none
	All          string // the all parameter of a job's allocations
}

func (r request) String() string {
	s := r.Method + " " + r.Path
	if r.Purge != "" {
		s += "?purge=" + r.Purge
	}
	if r.All != "" {
		s += "?all=" + r.All
	}
	return s
}

// fakeNomad answers the endpoints of Nomad's HTTP API deploy uses, with the
// JSON a Nomad server sends (the API client's own types, which decode it)
// and the index headers its client requires, from what a test put in it,
// and records every request.
type fakeNomad struct {
	mu       sync.Mutex
	jobs     []*nomad.JobListStub
	allocs   map[string][][]*nomad.AllocationListStub // a job's answers to successive allocation listings; the last repeats
	asked    map[string]int                           // how many listings of a job's allocations were answered
	alloc    map[string]*nomad.Allocation
	evals    map[string]*nomad.Evaluation
	logs     map[string]string // allocation ID + " " + file path → the file
	parsed   *nomad.Job        // the job any HCL parses into
	nodes    []*nomad.NodeListStub
	node     map[string]*nomad.Node
	requests []request
}

func newFakeNomad() *fakeNomad {
	return &fakeNomad{
		allocs: map[string][][]*nomad.AllocationListStub{},
		asked:  map[string]int{},
		alloc:  map[string]*nomad.Allocation{},
		evals:  map[string]*nomad.Evaluation{},
		logs:   map[string]string{},
		node:   map[string]*nomad.Node{},
	}
}

func (f *fakeNomad) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	req := request{Method: r.Method, Path: r.URL.Path}
	if r.Method == http.MethodDelete {
		req.Purge = q.Get("purge")
	}
	if strings.HasSuffix(r.URL.Path, "/allocations") {
		req.All = q.Get("all")
	}
	f.requests = append(f.requests, req)
	w.Header().Set("X-Nomad-Index", "1")
	w.Header().Set("X-Nomad-LastContact", "0")
	w.Header().Set("X-Nomad-KnownLeader", "true")
	path := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/jobs":
		jobs := f.jobs
		if q.Get("meta") != "true" { // Nomad lists meta only when asked
			jobs = nil
			for _, j := range f.jobs {
				c := *j
				c.Meta = nil
				jobs = append(jobs, &c)
			}
		}
		reply(w, jobs)
	case r.Method == http.MethodPut && r.URL.Path == "/v1/jobs/parse":
		reply(w, f.parsed)
	case r.Method == http.MethodPut && r.URL.Path == "/v1/jobs":
		reply(w, nomad.JobRegisterResponse{EvalID: "eval-of-" + *f.parsed.ID})
	case r.Method == http.MethodGet && len(path) == 4 && path[1] == "job" && path[3] == "allocations":
		answers := f.allocs[path[2]]
		if len(answers) == 0 {
			reply(w, []*nomad.AllocationListStub{})
			return
		}
		reply(w, answers[min(f.asked[path[2]], len(answers)-1)])
		f.asked[path[2]]++
	case r.Method == http.MethodGet && r.URL.Path == "/v1/allocations":
		// Every job's allocations, as its own listing would answer now.
		all := []*nomad.AllocationListStub{}
		for _, j := range f.jobs {
			if answers := f.allocs[j.ID]; len(answers) > 0 {
				all = append(all, answers[min(f.asked[j.ID], len(answers)-1)]...)
			}
		}
		reply(w, all)
	case r.Method == http.MethodDelete && len(path) == 3 && path[1] == "job":
		reply(w, nomad.JobDeregisterResponse{EvalID: "eval-of-stop-" + path[2]})
	case r.Method == http.MethodGet && len(path) == 3 && path[1] == "evaluation" && f.evals[path[2]] != nil:
		reply(w, f.evals[path[2]])
	case r.Method == http.MethodGet && len(path) == 3 && path[1] == "allocation" && f.alloc[path[2]] != nil:
		reply(w, f.alloc[path[2]])
	case r.Method == http.MethodGet && len(path) == 5 && path[1] == "client" && path[3] == "cat":
		log, ok := f.logs[path[4]+" "+q.Get("path")]
		if !ok {
			http.Error(w, "no such file", http.StatusNotFound)
			return
		}
		fmt.Fprint(w, log)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/nodes":
		reply(w, f.nodes)
	case r.Method == http.MethodGet && len(path) == 3 && path[1] == "node" && f.node[path[2]] != nil:
		reply(w, f.node[path[2]])
	default:
		http.Error(w, "no fake for "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

// seen is the requests the fake received, in order, of the method whose
// path starts with prefix.
func (f *fakeNomad) seen(method, prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			out = append(out, r.String())
		}
	}
	return out
}

// all is every request the fake received, in order.
func (f *fakeNomad) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.requests))
	for i, r := range f.requests {
		out[i] = r.String()
	}
	return out
}

// fakeConsul answers the Consul health endpoints deploy uses with the
// catalog's entries a test put in it.
type fakeConsul struct {
	mu       sync.Mutex
	entries  map[string][]*consul.ServiceEntry // by service name
	requests []request
}

func (f *fakeConsul) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, request{Method: r.Method, Path: r.URL.Path})
	w.Header().Set("X-Consul-Index", "1")
	w.Header().Set("X-Consul-KnownLeader", "true")
	w.Header().Set("X-Consul-LastContact", "0")
	switch name, ok := strings.CutPrefix(r.URL.Path, "/v1/health/service/"); {
	case r.Method == http.MethodGet && ok:
		entries := f.entries[name]
		if entries == nil {
			entries = []*consul.ServiceEntry{} // Consul answers [] for a service it does not know
		}
		reply(w, entries)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/agent/checks":
		reply(w, map[string]*consul.AgentCheck{})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/health/checks/"):
		reply(w, consul.HealthChecks{})
	default:
		http.Error(w, "no fake for "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// newFakes starts a fake Nomad and a fake Consul and returns a Client of
// them, as agents would make it of real ones, printing to out (nil:
// nowhere) and polling every millisecond.
func newFakes(t *testing.T, out *strings.Builder) (*Client, *fakeNomad, *fakeConsul) {
	t.Helper()
	fn, fc := newFakeNomad(), &fakeConsul{entries: map[string][]*consul.ServiceEntry{}}
	ns, cs := httptest.NewServer(fn), httptest.NewServer(fc)
	t.Cleanup(ns.Close)
	t.Cleanup(cs.Close)
	n, err := nomad.NewClient(&nomad.Config{Address: ns.URL})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(cs.URL)
	c, err := consul.NewClient(&consul.Config{Address: u.Host, Scheme: "http"})
	if err != nil {
		t.Fatal(err)
	}
	var client *Client
	if out != nil {
		client = New(n, c, out)
	} else {
		client = New(n, c, nil)
	}
	client.poll = time.Millisecond
	return client, fn, fc
}

// t0 is when the tests' first job was submitted.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// svctlJob is the stub of a job svctl ran: meta svctl=1 with the service
// and NAME, submitted minutes after t0.
func svctlJob(id, service, name, status string, minutes int) *nomad.JobListStub {
	return &nomad.JobListStub{
		ID: id, Name: id, Type: "service", Status: status,
		SubmitTime: t0.Add(time.Duration(minutes) * time.Minute).UnixNano(),
		Meta: map[string]string{
			record.MetaManaged: "1", record.MetaService: service, record.MetaDeployName: name,
			record.MetaSource: "git", record.MetaCommit: "abc1234",
		},
	}
}

// stub is an allocation of job as a job's allocation listing has it.
func stub(id, job, desired, client string) *nomad.AllocationListStub {
	return &nomad.AllocationListStub{ID: id, JobID: job, TaskGroup: "web", NodeName: "node-1", DesiredStatus: desired, ClientStatus: client}
}

func ids(jobs []Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}
