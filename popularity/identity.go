package popularity

import "github.com/google/uuid"

// Identity says which running copy of the service answered a request.
type Identity struct {
	ServiceID string // random UUID v4, made once per process
	Version   string // deploy name, e.g. "lobpop_v1"; may be empty
	Instance  string // allocation, container or host the process runs in
}

// NewIdentity returns the identity of this process: a fresh random service ID
// with the given version and instance.
func NewIdentity(version, instance string) Identity {
	return Identity{ServiceID: uuid.NewString(), Version: version, Instance: instance}
}
