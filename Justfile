# The demo's commands. `just --list` shows them all.
set shell := ["bash", "-euo", "pipefail", "-c"]
# Recipes with *args pass them on as they were given (a quoted pattern with
# spaces stays one argument): "$@".
set positional-arguments

tools := env("MW_TOOLS", env("HOME") + "/.cache/microwizard")
# Tools built by scripts/setup (consul, envoy, and nomad if you put it there) come first.
export PATH := tools + "/bin:" + justfile_directory() + "/bin:" + env("PATH")
export MW_STATE := env("MW_STATE", "/tmp/mw")

# List the recipes.
default:
    @just --list

# Install what the demo and the tests need (Debian packages, just, consul, envoy).
setup:
    scripts/setup

# Build svctl and the programs into ./bin.
build:
    mkdir -p bin
    go build -o bin/ ./tools/svctl ./lobsters/cmd/lobstersdb ./lobsters/cmd/lobsters ./popularity/cmd/lobsters-popularity

# Start the local MariaDB the tests use (Debian's service) if it is not running.
db:
    scripts/test-db

# Run every test (MariaDB must be installed: `just setup`), after the checks and a short fuzz; a summary line says what ran and what skipped, and why.
test: db check fuzz
    go test -count=1 -timeout 30m -json ./... | go run ./tools/testsummary

# Run every fuzz target for a few seconds each: what a fuzzer finds in under a second is found before a change lands.
fuzz fuzztime="4s":
    @for f in $(git grep --untracked -l '^func Fuzz' -- '*_test.go' ':!deps'); do \
      for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | cut -d' ' -f2); do \
        out=$(go test -run '^$' -fuzz "^$target\$" -fuzztime {{fuzztime}} "./$(dirname "$f")" 2>&1) || { echo "$out"; echo "fuzz: $target failed"; exit 1; }; \
        echo "fuzz: $target ({{fuzztime}}) ok"; \
      done; \
    done

# gofmt, go vet, staticcheck (from the module proxy) and go mod tidy must all be clean.
check:
    test -z "$(gofmt -l $(git ls-files '*.go'))" || { gofmt -l $(git ls-files '*.go'); echo 'gofmt: the files above need formatting'; exit 1; }
    go vet ./...
    go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
    go mod tidy -diff

# Bring the demo up: Consul, Nomad, the mesh config, MySQL (seeded) and the monolith.
up: build
    scripts/up

# Stop everything `just up` started.
down:
    scripts/down

# Switch the mesh's routing profile for lobsters-popularity: tutorial or resilient (shows the change, asks first).
mesh profile:
    bin/svctl mesh {{profile}}

# Seed the demo database again (e.g. `just seed -scale 0.1`); it is emptied first.
seed *args: build
    bin/lobstersdb seed -reset "$@"

# Run every benchmark and print one table of figures with their goals (README: Benchmarks).
bench *args: db
    go run ./tools/bench "$@"

# Build a multi-node cluster on this machine (network namespaces: Nomad and Consul servers, nodes n1 and n2, an artifact store); then `. /tmp/mwc/env`.
cluster-up state="/tmp/mwc":
    scripts/cluster-up {{state}}

# The same cluster, secured as a team's should be: ACLs (Consul's default deny) and TLS on Nomad and Consul; STATE/env then holds a developer's tokens (README: A secured cluster).
cluster-up-secure state="/tmp/mwc":
    scripts/cluster-up --secure {{state}}

# Remove what cluster-up built, every trace of it.
cluster-down state="/tmp/mwc":
    scripts/cluster-down {{state}}

# The soak (README: Benchmarks): run/stop cycles of one version on real Nomad under load at 20/s, `svctl logs -f` throughout; about 8 s a cycle.
soak cycles="100": db
    SVCTL_SOAK_CYCLES={{cycles}} go test -count=1 -timeout 90m -run '^TestSoak$' -v ./e2e
