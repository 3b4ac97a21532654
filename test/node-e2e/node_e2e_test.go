// Package nodee2e proves, with containerd's own registry client, that a node set up by
// PullThroughCache.containerdNodeScript() pulls through the cache with the ECR token, sends the
// token nowhere else, and falls back to the upstream registries anonymously without a token.
//
// Each case's boot script (written by scripts/node-e2e-fixtures.ts into $NODE_E2E_FIXTURES) runs
// as root in a mount namespace (`unshare -m`) where /etc and /usr/local are overlays whose upper
// layers are directories of the test: the script writes to its real paths, the host's files are
// untouched, and the test reads what was written. `aws`, `systemctl` and `sleep` are stand-ins
// on PATH: `aws` records its arguments and prints the token the fake ECR accepts.
//
// The written hosts.toml files are loaded with containerd's config.ConfigureHosts; the only
// change the test makes is host:port (the cache domain to 127.0.0.1, each upstream server to
// 127.0.0.3) and the test CA (HostOptions.DefaultTLS). Only loopback addresses are used. The
// upstream stand-in asks for an anonymous bearer token as Docker Hub does; the S3 stand-in is on
// another address than the fake ECR because Go keeps Authorization on a redirect to the same host.
package nodee2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const (
	program     = "/usr/local/sbin/ecr-pull-through-cache-auth"
	serviceFile = "/etc/systemd/system/ecr-pull-through-cache-auth.service"
	timerFile   = "/etc/systemd/system/ecr-pull-through-cache-auth.timer"
	retryFile   = "/etc/systemd/system/ecr-pull-through-cache-auth.service.d/retry.conf"
)

type fixtureUpstream struct {
	Host   string `json:"host"`
	Prefix string `json:"prefix"`
	Image  string `json:"image"`
}

type fixtureCase struct {
	Name            string            `json:"name"`
	Description     string            `json:"description"`
	Account         string            `json:"account"`
	Region          string            `json:"region"`
	RegistryDomain  string            `json:"registryDomain"`
	ConfigDirectory string            `json:"configDirectory"`
	Upstreams       []fixtureUpstream `json:"upstreams"`
}

func ocispecVersioned() specs.Versioned { return specs.Versioned{SchemaVersion: 2} }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func fixtures(t *testing.T) (string, []fixtureCase) {
	t.Helper()
	dir := os.Getenv("NODE_E2E_FIXTURES")
	if dir == "" {
		t.Fatal("NODE_E2E_FIXTURES is not set: run `npx projen test:node-e2e` (scripts/node-e2e.sh), which writes the fixtures first")
	}
	data, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	must(t, err)
	var cases []fixtureCase
	must(t, json.Unmarshal(data, &cases))
	if len(cases) == 0 {
		t.Fatal("no cases in cases.json")
	}
	return dir, cases
}

// ecrToken is what `aws ecr get-authorization-token` prints: base64 of AWS:<password>.
func ecrToken(password string) string {
	return base64.StdEncoding.EncodeToString([]byte("AWS:" + password))
}

// node is a simulated host: overlay upper layers for /etc and /usr/local, and stand-in commands.
type node struct {
	root  string // upper layers: root/etc, root/usr/local
	state string // the stand-ins' records and the token `aws` prints
	bin   string
	work  string
}

func newNode(t *testing.T) *node {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the node end-to-end test runs the boot script as root in a mount namespace (unshare -m): run it as root")
	}
	base := t.TempDir()
	n := &node{root: filepath.Join(base, "root"), state: filepath.Join(base, "state"), bin: filepath.Join(base, "bin"), work: filepath.Join(base, "work")}
	for _, d := range []string{n.state, n.bin, filepath.Join(n.root, "etc"), filepath.Join(n.root, "usr/local"), filepath.Join(n.work, "etc"), filepath.Join(n.work, "usr/local")} {
		must(t, os.MkdirAll(d, 0o755))
	}
	standIns := map[string]string{
		// aws: records its arguments; prints the token in state/aws.token, or fails like the CLI
		// without credentials when state/aws.fail exists.
		"aws": `#!/bin/bash
printf '%s\n' "$*" >> "$NODE_E2E_STATE/aws.args"
if [[ -e $NODE_E2E_STATE/aws.fail ]]; then
  echo 'An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation' >&2
  exit 254
fi
cat "$NODE_E2E_STATE/aws.token"
`,
		// systemctl: records its arguments; answers --version (unrecorded) with the version in
		// state/systemd.version, 252 (Amazon Linux 2023's) without it.
		"systemctl": `#!/bin/bash
if [[ $1 == --version ]]; then
  echo "systemd $(cat "$NODE_E2E_STATE/systemd.version" 2>/dev/null || echo 252) (252.38-stand-in)"
  exit 0
fi
printf '%s\n' "$*" >> "$NODE_E2E_STATE/systemctl.args"
`,
		// systemd-run: records its arguments (the scheduled rerun).
		"systemd-run": `#!/bin/bash
printf '%s\n' "$*" >> "$NODE_E2E_STATE/systemd-run.args"
`,
		// sleep: records the backoff and returns at once.
		"sleep": `#!/bin/bash
printf '%s\n' "$*" >> "$NODE_E2E_STATE/sleep.args"
`,
	}
	for name, content := range standIns {
		must(t, os.WriteFile(filepath.Join(n.bin, name), []byte(content), 0o755))
	}
	return n
}

// mountScript mounts the overlays, then runs "$@" with the stand-ins first on PATH.
const mountScript = `set -euo pipefail
root=$1 work=$2 bin=$3; shift 3
for d in etc usr/local; do
  mount -t overlay node-e2e -o "lowerdir=/$d,upperdir=$root/$d,workdir=$work/$d" "/$d"
done
export PATH="$bin:$PATH"
exec "$@"
`

// run runs a command on the node, as root, in a new mount namespace; returns its output and
// exit code.
func (n *node) run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmdArgs := append([]string{"-m", "--propagation", "private", "bash", "-c", mountScript, "node", n.root, n.work, n.bin}, args...)
	cmd := exec.CommandContext(ctx, "unshare", cmdArgs...)
	cmd.Env = append(os.Environ(), "NODE_E2E_STATE="+n.state)
	out, err := cmd.CombinedOutput()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("unshare %v: %v\n%s", args, err, out)
	}
	return string(out), code
}

func (n *node) setToken(t *testing.T, token string) {
	t.Helper()
	must(t, os.WriteFile(filepath.Join(n.state, "aws.token"), []byte(token+"\n"), 0o600))
}

func (n *node) failAWS(t *testing.T, fail bool) {
	t.Helper()
	path := filepath.Join(n.state, "aws.fail")
	if fail {
		must(t, os.WriteFile(path, nil, 0o600))
	} else {
		_ = os.Remove(path)
	}
}

// records returns and forgets the lines a stand-in recorded.
func (n *node) records(t *testing.T, name string) []string {
	t.Helper()
	path := filepath.Join(n.state, name+".args")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	must(t, err)
	must(t, os.Remove(path))
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// written lists the files the node's commands wrote (relative to /), with their modes.
func (n *node) written(t *testing.T) map[string]fs.FileMode {
	t.Helper()
	files := map[string]fs.FileMode{}
	must(t, filepath.WalkDir(n.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(n.root, path)
		files["/"+rel] = info.Mode()
		return nil
	}))
	return files
}

// expectRecords checks, and forgets, the calls a stand-in recorded.
func (n *node) expectRecords(t *testing.T, name string, want []string) {
	t.Helper()
	if got := n.records(t, name); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s calls: got %q, want %q", name, got, want)
	}
}

// snapshotHosts reads the hosts.toml files of a case; the function it returns reports each that changed since.
func (n *node) snapshotHosts(t *testing.T, c fixtureCase) func() {
	t.Helper()
	before := map[string][]byte{}
	for _, u := range c.Upstreams {
		before[u.Host] = n.read(t, hostsPath(c, u))
	}
	return func() {
		t.Helper()
		for _, u := range c.Upstreams {
			if !bytes.Equal(n.read(t, hostsPath(c, u)), before[u.Host]) {
				t.Errorf("%s changed", hostsPath(c, u))
			}
		}
	}
}

func (n *node) read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(n.root, path))
	must(t, err)
	return data
}

func hostsPath(c fixtureCase, u fixtureUpstream) string {
	return c.ConfigDirectory + "/" + u.Host + "/hosts.toml"
}

// loopbackView copies a hosts directory, changing only host:port: the cache's domain to the fake
// ECR, and each `server` to the upstream stand-in.
func loopbackView(t *testing.T, c fixtureCase, hostsDir, ecrHost, upstreamHost string) string {
	t.Helper()
	view := t.TempDir()
	server := regexp.MustCompile(`(?m)^server = "https://[^"/]+`)
	for _, u := range c.Upstreams {
		data, err := os.ReadFile(filepath.Join(hostsDir, u.Host, "hosts.toml"))
		must(t, err)
		text := strings.ReplaceAll(string(data), "https://"+c.RegistryDomain+"/", "https://"+ecrHost+"/")
		text = server.ReplaceAllString(text, `server = "https://`+upstreamHost)
		must(t, os.MkdirAll(filepath.Join(view, u.Host), 0o700))
		must(t, os.WriteFile(filepath.Join(view, u.Host, "hosts.toml"), []byte(text), 0o600))
	}
	return view
}

// pull resolves and fetches an image (manifest, config and layers) with containerd's resolver
// and the hosts directory, and checks every digest.
func pull(ctx context.Context, ca *testCA, hostsDir, ref string) error {
	hosts := config.ConfigureHosts(ctx, config.HostOptions{
		HostDir:    config.HostDirFromRoot(hostsDir),
		DefaultTLS: (&tlsConfigFor{ca}).config(),
	})
	resolver := docker.NewResolver(docker.ResolverOptions{Hosts: hosts})
	name, desc, err := resolver.Resolve(ctx, ref)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", ref, err)
	}
	fetcher, err := resolver.Fetcher(ctx, name)
	if err != nil {
		return err
	}
	fetch := func(d ocispec.Descriptor) ([]byte, error) {
		rc, err := fetcher.Fetch(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("fetch %s of %s: %w", d.Digest, ref, err)
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, 1<<20))
		if err != nil {
			return nil, err
		}
		if digest.FromBytes(data) != d.Digest {
			return nil, fmt.Errorf("%s of %s: got digest %s", d.Digest, ref, digest.FromBytes(data))
		}
		return data, nil
	}
	data, err := fetch(desc)
	if err != nil {
		return err
	}
	var manifest ocispec.Manifest
	if err := json.Unmarshal(data, &manifest); err != nil {
		return err
	}
	for _, d := range append([]ocispec.Descriptor{manifest.Config}, manifest.Layers...) {
		if _, err := fetch(d); err != nil {
			return err
		}
	}
	return nil
}

// repositoryAndTag splits `host/repo:tag`.
func repositoryAndTag(ref string) (string, string) {
	rest := ref[strings.Index(ref, "/")+1:]
	i := strings.LastIndex(rest, ":")
	return rest[:i], rest[i+1:]
}

func TestNodeScript(t *testing.T) {
	log.L.Logger.SetOutput(io.Discard) // containerd's "trying next host" logs; the test asserts on requests
	dir, cases := fixtures(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { testCase(t, dir, c) })
	}
}

func testCase(t *testing.T, dir string, c fixtureCase) {
	t.Logf("%s: %d upstreams, cache %s", c.Description, len(c.Upstreams), c.RegistryDomain)
	script := filepath.Join(dir, c.Name+".sh")
	scriptText, err := os.ReadFile(script)
	must(t, err)
	n := newNode(t)
	token := ecrToken("first-" + c.Name)
	n.setToken(t, token)

	// The stand-ins for the registries, with the same images.
	ca := newTestCA(t)
	content := &registryContent{}
	for _, u := range c.Upstreams {
		repository, tag := repositoryAndTag(u.Image)
		content.images = append(content.images, newImage(repository, tag))
	}
	upstream := &upstreamRegistry{content: content}
	upstreamServer := ca.serve(t, upstreamAddress, upstream)
	s3 := &fakeS3{content: content}
	s3Server := ca.serve(t, s3Address, s3)
	prefixes := map[string]bool{}
	for _, u := range c.Upstreams {
		prefixes[u.Prefix] = true
	}
	ecr := &fakeECR{prefixes: prefixes, content: content, s3URL: s3Server.URL}
	ecrServer := ca.serve(t, ecrAddress, ecr)
	ecrHost := strings.TrimPrefix(ecrServer.URL, "https://")
	upstreamHost := strings.TrimPrefix(upstreamServer.URL, "https://")

	t.Run("boot script writes the files and asks the cache's region and registry for the token", func(t *testing.T) {
		out, code := n.run(t, "bash", script)
		if code != 0 {
			t.Fatalf("boot script exited %d:\n%s", code, out)
		}
		wantArgs := fmt.Sprintf("ecr get-authorization-token --region %s --registry-ids %s --cli-connect-timeout 10 --cli-read-timeout 20 --query authorizationData[0].authorizationToken --output text", c.Region, c.Account)
		if got := n.records(t, "aws"); len(got) != 1 || got[0] != wantArgs {
			t.Errorf("aws calls: got %q, want [%q]", got, wantArgs)
		}
		wantSystemctl := []string{"daemon-reload", "enable ecr-pull-through-cache-auth.service ecr-pull-through-cache-auth.timer", "start ecr-pull-through-cache-auth.timer"}
		n.expectRecords(t, "systemctl", wantSystemctl)
		if got := n.records(t, "systemd-run"); len(got) != 0 {
			t.Errorf("a rerun was scheduled after a refresh that succeeded: %q", got)
		}
		files := n.written(t)
		want := map[string]fs.FileMode{program: 0o700, serviceFile: 0o644, timerFile: 0o644, retryFile: 0o644}
		for _, u := range c.Upstreams {
			want[hostsPath(c, u)] = 0o600
			want[c.ConfigDirectory+"/"+u.Host] = fs.ModeDir | 0o700
		}
		for path, mode := range want {
			if got, ok := files[path]; !ok || got != mode {
				t.Errorf("%s: mode %v (written: %v), want %v", path, got, ok, mode)
			}
		}
		// The token is in the hosts.toml files and in no other file the script wrote.
		for path, mode := range files {
			if mode.IsDir() {
				continue
			}
			holds := bytes.Contains(n.read(t, path), []byte(token))
			isHosts := want[path] == 0o600 && strings.HasSuffix(path, "/hosts.toml")
			if holds != isHosts {
				t.Errorf("%s: holds the token %v, want %v", path, holds, isHosts)
			}
		}
		if bytes.Contains(scriptText, []byte(token)) {
			t.Error("the boot script holds the token")
		}
	})

	t.Run("containerd's loader sends the token to the cache host only", func(t *testing.T) {
		hostsDir := filepath.Join(n.root, c.ConfigDirectory)
		for _, u := range c.Upstreams {
			hosts, err := config.ConfigureHosts(context.Background(), config.HostOptions{HostDir: config.HostDirFromRoot(hostsDir)})(u.Host)
			must(t, err)
			if len(hosts) != 2 {
				t.Fatalf("%s: %d hosts, want the cache and the upstream", u.Host, len(hosts))
			}
			cache, server := hosts[0], hosts[1]
			if cache.Host != c.RegistryDomain || cache.Path != "/v2/"+u.Prefix || cache.Header.Get("Authorization") != "Basic "+token {
				t.Errorf("%s: cache host %s%s with Authorization %q", u.Host, cache.Host, cache.Path, cache.Header.Get("Authorization"))
			}
			if cache.Capabilities != docker.HostCapabilityPull|docker.HostCapabilityResolve {
				t.Errorf("%s: cache capabilities %v", u.Host, cache.Capabilities)
			}
			if len(server.Header) != 0 || server.Path != "/v2" {
				t.Errorf("%s: upstream %s%s has headers %v", u.Host, server.Host, server.Path, server.Header)
			}
		}
	})

	t.Run("shellcheck passes on the boot script and the installed program", func(t *testing.T) {
		out, err := exec.Command("shellcheck", script, filepath.Join(n.root, program)).CombinedOutput()
		if err != nil {
			t.Fatalf("shellcheck: %v\n%s", err, out)
		}
	})

	t.Run("systemd-analyze verify passes on the installed units", func(t *testing.T) {
		// verify reads the service's drop-ins from the unit directories, retry.conf included.
		out, code := n.run(t, "systemd-analyze", "verify", serviceFile, timerFile)
		if code != 0 || strings.TrimSpace(out) != "" {
			t.Fatalf("systemd-analyze verify exited %d:\n%s", code, out)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	t.Run("with the token every image comes from the cache, blobs from S3 without Authorization", func(t *testing.T) {
		ecr.issue(token, false)
		view := loopbackView(t, c, filepath.Join(n.root, c.ConfigDirectory), ecrHost, upstreamHost)
		for _, u := range c.Upstreams {
			if err := pull(ctx, ca, view, u.Image); err != nil {
				t.Fatalf("%s: %v", u.Image, err)
			}
		}
		ecrRequests, s3Requests := ecr.take(), s3.take()
		if got := upstream.take(); len(got) != 0 {
			t.Errorf("the upstream was asked %v", got)
		}
		perPrefix := map[string]int{}
		for _, r := range ecrRequests {
			if r.Authorization != "Basic "+token {
				t.Errorf("cache request %s %s with Authorization %q", r.Method, r.Path, r.Authorization)
			}
			perPrefix[strings.Split(r.Path, "/")[2]]++
		}
		for _, u := range c.Upstreams {
			// HEAD and GET of the manifest, GET of the config and the layer.
			if perPrefix[u.Prefix] != 4 {
				t.Errorf("prefix %s: %d cache requests, want 4 (%v)", u.Prefix, perPrefix[u.Prefix], ecrRequests)
			}
		}
		if len(s3Requests) != 2*len(c.Upstreams) {
			t.Errorf("S3: %d requests, want %d", len(s3Requests), 2*len(c.Upstreams))
		}
		for _, r := range s3Requests {
			if r.Authorization != "" {
				t.Errorf("S3 got Authorization on %s", r.Path)
			}
		}
	})

	t.Run("user data run twice: same files, a new token, no temporary files", func(t *testing.T) {
		before := n.written(t)
		second := ecrToken("second-" + c.Name)
		n.setToken(t, second)
		out, code := n.run(t, "bash", script)
		if code != 0 {
			t.Fatalf("second run exited %d:\n%s", code, out)
		}
		after := n.written(t)
		if fmt.Sprint(sortedKeys(before)) != fmt.Sprint(sortedKeys(after)) {
			t.Errorf("files before %v, after %v", sortedKeys(before), sortedKeys(after))
		}
		for _, u := range c.Upstreams {
			if data := n.read(t, hostsPath(c, u)); !bytes.Contains(data, []byte("Basic "+second)) || bytes.Contains(data, []byte(token)) {
				t.Errorf("%s was not refreshed:\n%s", hostsPath(c, u), data)
			}
		}
		n.records(t, "aws")
		n.records(t, "systemctl")
		token = second
	})

	t.Run("a failed refresh retries with backoff and keeps the last good files", func(t *testing.T) {
		hostsUnchanged := n.snapshotHosts(t, c)
		n.failAWS(t, true)
		defer n.failAWS(t, false)
		out, code := n.run(t, program)
		if code != 1 || !strings.Contains(out, "the hosts.toml files are unchanged") {
			t.Errorf("refresh without a token exited %d:\n%s", code, out)
		}
		if got := n.records(t, "aws"); len(got) != 5 {
			t.Errorf("%d attempts, want 5", len(got))
		}
		if got := n.records(t, "sleep"); strings.Join(got, " ") != "5 10 20 40" {
			t.Errorf("backoff %q, want 5 10 20 40", got)
		}
		hostsUnchanged()
	})

	wantRerun := []string{"--on-active=300 --unit=ecr-pull-through-cache-auth-retry systemctl start --no-block ecr-pull-through-cache-auth.service"}
	baseSystemctl := []string{"daemon-reload", "enable ecr-pull-through-cache-auth.service ecr-pull-through-cache-auth.timer", "start ecr-pull-through-cache-auth.timer"}

	t.Run("a boot without a token goes on, and leaves the retries to systemd", func(t *testing.T) {
		hostsUnchanged := n.snapshotHosts(t, c)
		n.failAWS(t, true)
		defer n.failAWS(t, false)
		out, code := n.run(t, "bash", script)
		if code != 0 || !strings.Contains(out, "until a refresh succeeds: the next in 300 s, then every 300 s while it fails") {
			t.Errorf("boot script without a token exited %d:\n%s", code, out)
		}
		if got := n.records(t, "aws"); len(got) != 5 {
			t.Errorf("%d attempts, want 5", len(got))
		}
		n.records(t, "sleep")
		// A rerun in 5 minutes (not now: it would hold containerd and kubelet); the retry drop-in
		// (Restart=on-failure) takes over from there.
		n.expectRecords(t, "systemd-run", wantRerun)
		n.expectRecords(t, "systemctl", baseSystemctl)
		hostsUnchanged()
	})

	t.Run("systemd older than 244: no retry drop-in (it would make the unit refused), the timer's next run instead", func(t *testing.T) {
		must(t, os.WriteFile(filepath.Join(n.state, "systemd.version"), []byte("219\n"), 0o644))
		defer os.Remove(filepath.Join(n.state, "systemd.version"))
		n.failAWS(t, true)
		defer n.failAWS(t, false)
		out, code := n.run(t, "bash", script)
		if code != 0 || !strings.Contains(out, "the next in 300 s, then at ecr-pull-through-cache-auth.timer's runs (systemd 219 cannot rerun a failed oneshot service)") {
			t.Errorf("boot script on systemd 219 exited %d:\n%s", code, out)
		}
		n.records(t, "aws")
		n.records(t, "sleep")
		// One scheduled rerun (systemd-run --on-active exists since 218), and no Restart= after it.
		n.expectRecords(t, "systemd-run", wantRerun)
		n.expectRecords(t, "systemctl", baseSystemctl)
		if _, ok := n.written(t)[retryFile]; ok {
			t.Errorf("%s is still there on systemd 219", retryFile)
		}
		// Back on a newer systemd (an upgraded node running the user data again), the drop-in returns.
		must(t, os.WriteFile(filepath.Join(n.state, "systemd.version"), []byte("252\n"), 0o644))
		n.failAWS(t, false)
		if out, code := n.run(t, "bash", script); code != 0 {
			t.Fatalf("boot script exited %d:\n%s", code, out)
		}
		n.records(t, "aws")
		n.records(t, "systemctl")
		if got := n.written(t)[retryFile]; got != 0o644 {
			t.Errorf("%s: mode %v after the run on systemd 252", retryFile, got)
		}
	})

	checkFallback := func(t *testing.T, hostsDir string, wantECRAuthorization string) {
		view := loopbackView(t, c, hostsDir, ecrHost, upstreamHost)
		for _, u := range c.Upstreams {
			if err := pull(ctx, ca, view, u.Image); err != nil {
				t.Fatalf("%s: %v", u.Image, err)
			}
		}
		// Anonymous: no credentials to the token endpoint, and to the registry only the anonymous
		// bearer token it gave, never the ECR token.
		upstreamRequests := upstream.take()
		tokens, pulls := 0, 0
		for _, r := range upstreamRequests {
			switch {
			case strings.Contains(r.Authorization, token):
				t.Errorf("the upstream got the ECR token on %s %s", r.Method, r.Path)
			case r.Path == "/token":
				tokens++
				if r.Authorization != "" {
					t.Errorf("the upstream's token endpoint got Authorization %q", r.Authorization)
				}
			case r.Authorization != "" && r.Authorization != "Bearer "+anonymousToken:
				t.Errorf("the upstream got Authorization %q on %s %s", r.Authorization, r.Method, r.Path)
			case !strings.HasPrefix(r.Path, "/v2/") || strings.Contains(r.Path, "cache/"):
				t.Errorf("upstream path %s", r.Path)
			case r.Authorization != "":
				pulls++
			}
		}
		// HEAD and GET of the manifest, GET of the config and the layer; at least one anonymous token.
		if pulls != 4*len(c.Upstreams) || tokens == 0 {
			t.Errorf("upstream: %d authorized requests (want %d), %d token requests (want some): %v", pulls, 4*len(c.Upstreams), tokens, upstreamRequests)
		}
		for _, r := range ecr.take() {
			if r.Authorization != wantECRAuthorization {
				t.Errorf("cache request with Authorization %q, want %q", r.Authorization, wantECRAuthorization)
			}
		}
		if got := s3.take(); len(got) != 0 {
			t.Errorf("S3 was asked %v", got)
		}
	}

	t.Run("expired token: containerd falls back to the upstream, anonymously", func(t *testing.T) {
		ecr.issue(token, true)
		checkFallback(t, filepath.Join(n.root, c.ConfigDirectory), "Basic "+token)
	})

	t.Run("no token (containerdMirrors files): containerd falls back to the upstream, anonymously", func(t *testing.T) {
		ecr.issue(token, false)
		checkFallback(t, filepath.Join(dir, c.Name+".plain"), "")
	})
}

// TestRetryWithRealSystemd runs the service and the retry drop-in the boot script installed under
// real systemd (252 here, as on Amazon Linux 2023): a user service manager in a private mount
// namespace (user-manager.sh). Stand-ins: the refresh program (fails twice, then succeeds),
// containerd and kubelet (they log that they started). RestartSec is cut from 300 s to 1 s.
func TestRetryWithRealSystemd(t *testing.T) {
	dir, cases := fixtures(t)
	c := cases[0]
	n := newNode(t)
	n.setToken(t, ecrToken("systemd"))
	if out, code := n.run(t, "bash", filepath.Join(dir, c.Name+".sh")); code != 0 {
		t.Fatalf("boot script exited %d:\n%s", code, out)
	}
	service := strings.Replace(string(n.read(t, serviceFile)), "ExecStart="+program+"\n", "ExecStart=%h/refresh\n", 1)
	retry := strings.Replace(string(n.read(t, retryFile)), "RestartSec=300s\n", "RestartSec=1s\n", 1)
	if !strings.Contains(service, "ExecStart=%h/refresh\n") || !strings.Contains(retry, "Restart=on-failure\nRestartSec=1s\n") {
		t.Fatalf("unexpected units:\n%s\n%s", service, retry)
	}

	work := t.TempDir()
	units := filepath.Join(work, "config", "systemd", "user")
	must(t, os.MkdirAll(filepath.Join(units, "ecr-pull-through-cache-auth.service.d"), 0o755))
	events := filepath.Join(work, "events")
	files := map[string]string{
		"ecr-pull-through-cache-auth.service":              service,
		"ecr-pull-through-cache-auth.service.d/retry.conf": retry,
		"containerd.service":                               "[Service]\nExecStart=/bin/bash -c 'echo \"containerd started\" >> " + events + "; exec sleep 600'\n",
		"kubelet.service":                                  "[Service]\nExecStart=/bin/bash -c 'echo \"kubelet started\" >> " + events + "; exec sleep 600'\n",
	}
	for name, content := range files {
		must(t, os.WriteFile(filepath.Join(units, name), []byte(content), 0o644))
	}
	// %h, the user manager's home: the refresh stand-in lives there.
	must(t, os.WriteFile(filepath.Join(work, "refresh"), []byte(`#!/bin/bash
n=$(( $(cat "$HOME/runs" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$HOME/runs"
if ((n < 3)); then echo "refresh $n failed" >> "$HOME/events"; exit 1; fi
echo "refresh $n ok" >> "$HOME/events"
`), 0o755))

	cmd := exec.Command("unshare", "-m", "--propagation", "private", "bash", "user-manager.sh", filepath.Join(work, "config"), work,
		"ecr-pull-through-cache-auth.service", "containerd.service", "kubelet.service")
	cmd.Env = append(os.Environ(), "HOME="+work,
		"WAIT_UNTIL=grep -q 'refresh 3 ok' "+events+" && [[ $(systemctl --user show -P SubState ecr-pull-through-cache-auth.service) == dead ]]")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("user-manager.sh: %v\n%s", err, out)
	}

	t.Run("the failed start job ends: systemctl reports it, and containerd and kubelet start", func(t *testing.T) {
		if !strings.Contains(string(out), "start: failed") {
			t.Errorf("systemctl start reported no failure:\n%s", out)
		}
		logged, err := os.ReadFile(events)
		must(t, err)
		lines := strings.Split(strings.TrimSpace(string(logged)), "\n")
		index := func(line string) int {
			for i, l := range lines {
				if l == line {
					return i
				}
			}
			return -1
		}
		if lines[0] != "refresh 1 failed" {
			t.Errorf("first event %q, want the first refresh (containerd and kubelet are ordered after it): %q", lines[0], lines)
		}
		for _, unit := range []string{"containerd", "kubelet"} {
			if i := index(unit + " started"); i < 0 || i > index("refresh 3 ok") {
				t.Errorf("%s started at event %d, not before the refresh succeeded: %q", unit, i, lines)
			}
		}
	})

	t.Run("systemd reruns the failed refresh until it succeeds", func(t *testing.T) {
		logged, err := os.ReadFile(events)
		must(t, err)
		var refreshes []string
		for _, l := range strings.Split(strings.TrimSpace(string(logged)), "\n") {
			if strings.HasPrefix(l, "refresh") {
				refreshes = append(refreshes, l)
			}
		}
		if strings.Join(refreshes, "|") != "refresh 1 failed|refresh 2 failed|refresh 3 ok" {
			t.Errorf("refreshes %q", refreshes)
		}
		states := map[string]string{}
		for _, block := range strings.Split(string(out), "\n\n") {
			props := map[string]string{}
			for _, l := range strings.Split(block, "\n") {
				if k, v, ok := strings.Cut(l, "="); ok {
					props[k] = v
				}
			}
			states[props["Id"]] = props["ActiveState"] + "/" + props["SubState"] + "/" + props["Result"]
		}
		want := map[string]string{
			"ecr-pull-through-cache-auth.service": "inactive/dead/success",
			"containerd.service":                  "active/running/success",
			"kubelet.service":                     "active/running/success",
		}
		for unit, state := range want {
			if states[unit] != state {
				t.Errorf("%s: %s, want %s (%v)", unit, states[unit], state, states)
			}
		}
	})
}

func sortedKeys(m map[string]fs.FileMode) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// tlsConfigFor trusts the test CA only.
type tlsConfigFor struct{ ca *testCA }

func (c *tlsConfigFor) config() *tls.Config {
	return &tls.Config{RootCAs: c.ca.pool, MinVersion: tls.VersionTLS12}
}

// The S3 stand-in must really reject what real S3 rejects, or the redirect check proves nothing.
func TestS3StandInRejectsAuthorization(t *testing.T) {
	ca := newTestCA(t)
	content := &registryContent{images: []*image{newImage("library/alpine", "3")}}
	server := ca.serve(t, s3Address, &fakeS3{content: content})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: (&tlsConfigFor{ca}).config()}, Timeout: 10 * time.Second}
	var layer digest.Digest
	for d := range content.images[0].blobs {
		layer = d
	}
	for _, auth := range []string{"", "Basic " + ecrToken("x")} {
		req, _ := http.NewRequest(http.MethodGet, server.URL+"/layers/"+layer.String(), nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		must(t, err)
		resp.Body.Close()
		if want := map[bool]int{true: 200, false: 400}[auth == ""]; resp.StatusCode != want {
			t.Errorf("Authorization %q: status %d, want %d", auth, resp.StatusCode, want)
		}
	}
}
