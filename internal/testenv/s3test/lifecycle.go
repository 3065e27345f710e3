package s3test

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// Kill takes the server down at once (SIGKILL), as a crash or an outage
// would, and keeps its data: the endpoint refuses connections until
// StartAgain.
func (s *Server) Kill() {
	if s.proc == nil {
		return
	}
	select {
	case <-s.proc.done:
	default:
		socks := socketsOf(s.proc.cmd.Process.Pid)
		_ = s.proc.cmd.Process.Kill()
		<-s.proc.done
		removeSockets(socks)
	}
}

// StartAgain starts a killed server again on the same ports with the same
// data, and returns once S3 takes writes again: ~15 s, as SeaweedFS's
// master hands out no file id for three 5 s heartbeats after a restart with
// data (it waits for volume servers to report).
func (s *Server) StartAgain(ctx context.Context) error {
	if s.stopped {
		return fmt.Errorf("SeaweedFS at %s was stopped for good (Stop); only Kill leaves it restartable", s.Endpoint)
	}
	if s.proc != nil {
		select {
		case <-s.proc.done:
		default:
			return fmt.Errorf("SeaweedFS at %s is still running", s.Endpoint)
		}
	}
	if err := s.run(ctx); err != nil {
		s.Kill()
		return fmt.Errorf("start SeaweedFS S3 server again: %w", err)
	}
	return nil
}

// Stop ends the server and removes its directory (data included) and the
// sockets it opened in /tmp. It kills weed (SIGKILL) rather than wait ~2 s
// for a graceful stop: nothing of it is kept anyway. It may be called more
// than once.
func (s *Server) Stop() error {
	s.Kill()
	s.stopped = true
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("remove SeaweedFS dir: %w", err)
	}
	return nil
}

// Kill's and Stop's SIGKILL leaves behind the unix sockets weed opens
// beside each gRPC port, always as /tmp/seaweedfs-*-grpc-PORT.sock (its
// HTTP ones are in Dir). socketsOf lists those a process listens on, from
// its file descriptors, for removeSockets to remove once it has exited.
func socketsOf(pid int) []string {
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	table, _ := os.ReadFile(fmt.Sprintf("/proc/%d/net/unix", pid))
	var socks []string
	for _, line := range strings.Split(string(table), "\n") {
		// Num RefCount Protocol Flags Type St Inode Path
		f := strings.Fields(line)
		if len(f) == 8 && inodes[f[6]] && strings.HasPrefix(f[7], "/tmp/seaweedfs-") {
			socks = append(socks, f[7])
		}
	}
	return socks
}

// Sockets returns the unix sockets the running weed listens on in /tmp,
// which Kill and Stop remove.
func (s *Server) Sockets() []string {
	if s.PID() == 0 {
		return nil
	}
	return socketsOf(s.PID())
}

func removeSockets(socks []string) {
	for _, sock := range socks {
		os.Remove(sock)
	}
}

// PID returns the process ID of the running weed, or 0.
func (s *Server) PID() int {
	if s.proc == nil || s.proc.cmd.Process == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Dir returns the server's directory (config and data).
func (s *Server) Dir() string { return s.dir }

// Log returns what the current run of weed printed so far.
func (s *Server) Log() string {
	if s.proc == nil {
		return ""
	}
	return s.proc.log.String()
}
