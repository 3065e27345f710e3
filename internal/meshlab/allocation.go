package meshlab

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/google/uuid"
	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/freeport"
	"microwizard/internal/meshlab/jobspec"
)

// How long a new service may take to pass its checks, and a stopped task to
// exit after its signal.
const (
	healthyTimeout = 30 * time.Second
	killTimeout    = 10 * time.Second
)

// allocation is one allocation of a job, run on the host: its one task's
// process, registered in Consul with the job's service, and its Envoy.
type allocation struct {
	lab           *Lab
	id            string // the allocation ID it stands for
	name          string // for logs: e.g. lobpop_v1-0b7e
	reg           *consul.AgentServiceRegistration
	placement     Placement
	shutdownDelay time.Duration
	proc          *process
	sidecar       *sidecar
}

// runAllocation places the job's one group on the host, starts its task and
// its sidecar, and returns once Consul's checks of the service pass.
func (l *Lab) runAllocation(ctx context.Context, job *nomad.Job, name string) (a *allocation, err error) {
	tg, task, err := jobspec.OnlyGroup(job)
	if err != nil {
		return nil, err
	}
	ports, err := freeport.Ports(3)
	if err != nil {
		return nil, err
	}
	a = &allocation{lab: l, id: uuid.NewString(), name: name}
	a.name = name + "-" + a.id[:8]
	a.placement = Placement{JobID: *job.ID, AllocID: a.id, Address: "127.0.0.1", ServicePort: ports[0], SidecarPort: ports[1]}
	if a.reg, err = Registration(tg, a.placement); err != nil {
		return nil, err
	}
	if tg.ShutdownDelay != nil {
		a.shutdownDelay = *tg.ShutdownDelay
	}
	command, args, err := taskCommand(task)
	if err != nil {
		return nil, err
	}
	svc, _ := ConsulService(tg)
	env, err := hostEnv(task.Env, svc.PortLabel, a.placement)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", task.Name, err)
	}
	env = append(env, "NOMAD_ALLOC_ID="+a.id)

	defer func() {
		if err != nil {
			a.stop(false)
			a = nil
		}
	}()
	if a.proc, err = startProcess(a.name, filepath.Join(l.dir, "logs", a.name+".log"), command, args, env); err != nil {
		return a, err
	}
	if err = l.Consul.Client.Agent().ServiceRegister(a.reg); err != nil {
		return a, fmt.Errorf("register %s in Consul: %w", a.reg.ID, err)
	}
	if err = a.waitPassing(ctx); err != nil {
		return a, err
	}
	a.sidecar, err = l.startSidecar(ctx, a.reg.ID, a.name, ports[2], svc.Connect.SidecarTask)
	return a, err
}

// hostEnv returns the task's environment for the host: a value that is an
// address on the service's port in the namespace ("0.0.0.0:3000") becomes the
// placement's (127.0.0.1:PORT). One must be: it is where the task listens.
func hostEnv(env map[string]string, servicePort string, p Placement) ([]string, error) {
	var out []string
	mapped := false
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if _, port, err := net.SplitHostPort(v); err == nil && port == servicePort {
			v = net.JoinHostPort(p.Address, strconv.Itoa(p.ServicePort))
			mapped = true
		}
		out = append(out, k+"="+v)
	}
	if !mapped {
		return nil, fmt.Errorf("no env variable holds the listen address on port %s to map to the host", servicePort)
	}
	return out, nil
}

// waitPassing waits until every check of the service passes.
func (a *allocation) waitPassing(ctx context.Context) error {
	var last string
	return poll(ctx, healthyTimeout, a.proc, func() (bool, error) {
		status, err := a.lab.checkStatus(a.reg.ID)
		last = status
		return err == nil && status == consul.HealthPassing, nil
	}, func() string {
		return fmt.Sprintf("%s not healthy in Consul (checks %s); log ends:\n%s", a.name, last, a.proc.logTail(10))
	})
}

// checkStatus is the aggregate status of a service's checks in the local
// agent: passing, warning or critical ("" when it has none).
func (l *Lab) checkStatus(serviceID string) (string, error) {
	checks, err := l.Consul.Client.Agent().ChecksWithFilter(fmt.Sprintf("ServiceID == %q", serviceID))
	if err != nil {
		return "", fmt.Errorf("read checks of %s: %w", serviceID, err)
	}
	if len(checks) == 0 {
		return "", nil
	}
	status := consul.HealthPassing
	for _, c := range checks {
		switch c.Status {
		case consul.HealthCritical, consul.HealthMaint:
			return consul.HealthCritical, nil
		case consul.HealthWarning:
			status = consul.HealthWarning
		}
	}
	return status, nil
}

// stop takes the allocation out of Consul and stops its processes. With
// drain, it does so as Nomad stops an allocation: out of Consul first, then,
// after the group's shutdown_delay, the task (SIGINT) and the sidecar.
func (a *allocation) stop(drain bool) error {
	var errs []error
	if a.reg != nil {
		if err := a.lab.Consul.Client.Agent().ServiceDeregister(a.reg.ID); err != nil {
			errs = append(errs, fmt.Errorf("deregister %s: %w", a.reg.ID, err))
		}
	}
	if drain && a.shutdownDelay > 0 {
		time.Sleep(a.shutdownDelay)
	}
	if a.proc != nil {
		if err := a.proc.stop(syscall.SIGINT, killTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	if err := a.sidecar.stop(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
