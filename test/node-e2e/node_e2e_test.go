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
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
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
	"strconv"
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

// installed names a case's program and units: ecr-pull-through-cache-auth-<id>, the id the first
// 16 hex digits of the SHA-256 of every value the program checks, one a line: account, region,
// config directory, refresh interval, then the upstream hosts, servers and cache endpoints
// (computed here independently of the program, which computes it on the node).
type installed struct {
	unit, program, service, timer, retry, hardening string
}

func installedOf(c fixtureCase) installed {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%d\n", c.Account, c.Region, c.ConfigDirectory, c.RefreshSeconds)
	for _, field := range []func(fixtureUpstream) string{
		func(u fixtureUpstream) string { return u.Host },
		func(u fixtureUpstream) string { return u.Server },
		func(u fixtureUpstream) string { return u.Endpoint },
	} {
		for _, u := range c.Upstreams {
			fmt.Fprintf(h, "%s\n", field(u))
		}
	}
	unit := "ecr-pull-through-cache-auth-" + hex.EncodeToString(h.Sum(nil))[:16]
	return installed{
		unit:      unit,
		program:   "/usr/local/sbin/" + unit,
		service:   "/etc/systemd/system/" + unit + ".service",
		timer:     "/etc/systemd/system/" + unit + ".timer",
		retry:     "/etc/systemd/system/" + unit + ".service.d/retry.conf",
		hardening: "/etc/systemd/system/" + unit + ".service.d/hardening.conf",
	}
}

// maxExposure is the highest `systemd-analyze security` exposure the service may have.
const maxExposure = 3.0

type fixtureUpstream struct {
	Host     string `json:"host"`
	Prefix   string `json:"prefix"`
	Server   string `json:"server"`
	Endpoint string `json:"endpoint"`
	Image    string `json:"image"`
}

type fixtureCase struct {
	Name            string            `json:"name"`
	Description     string            `json:"description"`
	Account         string            `json:"account"`
	Region          string            `json:"region"`
	RegistryDomain  string            `json:"registryDomain"`
	ConfigDirectory string            `json:"configDirectory"`
	RefreshSeconds  int               `json:"refreshSeconds"`
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
	f := installedOf(c)

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
		wantSystemctl := []string{"daemon-reload", "enable " + f.unit + ".service " + f.unit + ".timer", "start " + f.unit + ".timer"}
		n.expectRecords(t, "systemctl", wantSystemctl)
		if got := n.records(t, "systemd-run"); len(got) != 0 {
			t.Errorf("a rerun was scheduled after a refresh that succeeded: %q", got)
		}
		files := n.written(t)
		want := map[string]fs.FileMode{f.program: 0o700, f.service: 0o644, f.timer: 0o644, f.retry: 0o644, f.hardening: 0o644}
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
		// What the program rendered on the node is containerdMirrors()' file: an owner line, the
		// file, the header.
		for _, u := range c.Upstreams {
			plain, err := os.ReadFile(filepath.Join(dir, c.Name+".plain", u.Host, "hosts.toml"))
			must(t, err)
			endpoint := regexp.MustCompile(`\[host\."([^"]+)"\]`).FindSubmatch(plain)[1]
			wantFile := "# written by " + f.unit + " (cdk-pull-through-cache)\n" + string(plain) + "\n[host.\"" + string(endpoint) + "\".header]\n  Authorization = \"Basic " + token + "\"\n"
			if got := string(n.read(t, hostsPath(c, u))); got != wantFile {
				t.Errorf("%s:\n%s\nwant:\n%s", hostsPath(c, u), got, wantFile)
			}
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
		out, err := exec.Command("shellcheck", script, filepath.Join(n.root, f.program)).CombinedOutput()
		if err != nil {
			t.Fatalf("shellcheck: %v\n%s", err, out)
		}
	})

	t.Run("systemd-analyze verify passes on the installed units", func(t *testing.T) {
		// verify reads the service's drop-ins from the unit directories, retry.conf included.
		out, code := n.run(t, "systemd-analyze", "verify", f.service, f.timer)
		if code != 0 || strings.TrimSpace(out) != "" {
			t.Fatalf("systemd-analyze verify exited %d:\n%s", code, out)
		}
	})

	t.Run("systemd-analyze security rates the installed service 3.0 or lower", func(t *testing.T) {
		if score := exposure(t, n, f.service); score > maxExposure {
			t.Errorf("exposure %.1f, want at most %.1f", score, maxExposure)
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
		out, code := n.run(t, f.program)
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

	wantRerun := []string{"--on-active=300 --unit=" + f.unit + "-retry systemctl start --no-block " + f.unit + ".service"}
	baseSystemctl := []string{"daemon-reload", "enable " + f.unit + ".service " + f.unit + ".timer", "start " + f.unit + ".timer"}

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
		if code != 0 || !strings.Contains(out, "the next in 300 s, then at "+f.unit+".timer's runs (systemd 219 cannot rerun a failed oneshot service)") {
			t.Errorf("boot script on systemd 219 exited %d:\n%s", code, out)
		}
		n.records(t, "aws")
		n.records(t, "sleep")
		// One scheduled rerun (systemd-run --on-active exists since 218), and no Restart= after it.
		n.expectRecords(t, "systemd-run", wantRerun)
		n.expectRecords(t, "systemctl", baseSystemctl)
		for _, dropIn := range []string{f.retry, f.hardening} {
			if _, ok := n.written(t)[dropIn]; ok {
				t.Errorf("%s is still there on systemd 219", dropIn)
			}
		}
		// The service alone is valid for systemd 219: no SystemCallFilter= group it may not know
		// (an allow list of unknown groups allows nothing), and it verifies clean here.
		service := string(n.read(t, f.service))
		for _, newer := range []string{"SystemCallFilter=", "ProtectSystem=strict", "ReadWritePaths=", "ProtectHome=tmpfs", "ProtectProc="} {
			if strings.Contains(service, newer) {
				t.Errorf("the service holds %s, which systemd 219 does not know:\n%s", newer, service)
			}
		}
		if out, code := n.run(t, "systemd-analyze", "verify", f.service, f.timer); code != 0 || strings.TrimSpace(out) != "" {
			t.Errorf("systemd-analyze verify of the units written for systemd 219 exited %d:\n%s", code, out)
		}
		t.Logf("exposure of the service without hardening.conf (systemd 219): %.1f", exposure(t, n, f.service))
		// systemd 239 (RHEL 8): the drop-in, with the system-call filter, without what 242 and later know.
		must(t, os.WriteFile(filepath.Join(n.state, "systemd.version"), []byte("239\n"), 0o644))
		if out, code := n.run(t, "bash", script); code != 0 {
			t.Fatalf("boot script on systemd 239 exited %d:\n%s", code, out)
		}
		n.records(t, "aws")
		n.records(t, "systemctl")
		n.records(t, "sleep")
		n.records(t, "systemd-run")
		hardening := string(n.read(t, f.hardening))
		if !strings.Contains(hardening, "\nSystemCallFilter=@system-service\nSystemCallFilter=~@privileged @resources\n") ||
			!strings.Contains(hardening, "\nReadWritePaths="+c.ConfigDirectory+"\n") || strings.Contains(hardening, "ProtectProc=") || strings.Contains(hardening, "RestrictSUIDSGID=") {
			t.Errorf("hardening.conf on systemd 239:\n%s", hardening)
		}
		// Without reruns the timer is the retry: at most every 5 hours, so that one failed run
		// leaves time for the next within the token's 12 hours.
		wantEvery := c.RefreshSeconds
		if wantEvery > 18000 {
			wantEvery = 18000
		}
		if timer := string(n.read(t, f.timer)); !strings.Contains(timer, fmt.Sprintf("\nOnUnitActiveSec=%ds\n", wantEvery)) {
			t.Errorf("timer on systemd 219, want every %d s:\n%s", wantEvery, timer)
		}
		// Back on a newer systemd (an upgraded node running the user data again), the drop-in returns.
		must(t, os.WriteFile(filepath.Join(n.state, "systemd.version"), []byte("252\n"), 0o644))
		n.failAWS(t, false)
		if out, code := n.run(t, "bash", script); code != 0 {
			t.Fatalf("boot script exited %d:\n%s", code, out)
		}
		n.records(t, "aws")
		n.records(t, "systemctl")
		for _, dropIn := range []string{f.retry, f.hardening} {
			if got := n.written(t)[dropIn]; got != 0o644 {
				t.Errorf("%s: mode %v after the run on systemd 252", dropIn, got)
			}
		}
		if hardening := string(n.read(t, f.hardening)); !strings.Contains(hardening, "\nProcSubset=pid\n") {
			t.Errorf("hardening.conf on systemd 252:\n%s", hardening)
		}
		if timer := string(n.read(t, f.timer)); !strings.Contains(timer, fmt.Sprintf("\nOnUnitActiveSec=%ds\n", c.RefreshSeconds)) {
			t.Errorf("timer on systemd 252, want every %d s:\n%s", c.RefreshSeconds, timer)
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

// exposure is `systemd-analyze security --offline=true` of an installed unit, run on the node.
func exposure(t *testing.T, n *node, unit string) float64 {
	t.Helper()
	out, _ := n.run(t, "systemd-analyze", "security", "--offline=true", "--no-pager", unit)
	m := regexp.MustCompile(`Overall exposure level for \S+: (\d+\.\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level:\n%s", out)
	}
	score, err := strconv.ParseFloat(m[1], 64)
	must(t, err)
	return score
}

// sandboxProbe is the stand-in `aws` the services run under real systemd (installed at
// /usr/local/bin/aws on the node, before /usr/bin on systemd's PATH): it may write only the
// config directory, so it keeps its records there. It fails the first $fails calls, then prints a
// token made from --region. It also records what the sandbox let it do.
const sandboxProbe = `#!/bin/bash
records=/etc/containerd/certs.d/.node-e2e
n=$(( $(cat "$records-calls" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$records-calls"
echo "aws call $n" >> "$records-events"
{
  touch /etc/node-e2e-probe 2>/dev/null && echo "wrote /etc"
  touch /usr/local/node-e2e-probe 2>/dev/null && echo "wrote /usr/local"
  [[ -z $(ls -A /root 2>/dev/null) ]] || echo "saw /root"
  grep -q '^CapEff:[[:space:]]*0*$' /proc/self/status || echo "has capabilities"
} >> "$records-sandbox"
if ((n <= FAILS)); then exit 254; fi
region=${4:-none}
printf 'AWS:systemd-%s' "$region" | base64
`

// withSystemd runs real systemd (a user service manager run by root, not PID 1: user-manager.sh)
// on the node, in a private mount namespace over its overlays, with the units in units (name ->
// content), starts startUnits in one transaction, as at boot, and waits until waitUntil succeeds.
func withSystemd(t *testing.T, n *node, units map[string]string, waitUntil string, startUnits ...string) string {
	t.Helper()
	work := t.TempDir()
	dir := filepath.Join(work, "config", "systemd", "user")
	for name, content := range units {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	script, err := filepath.Abs("user-manager.sh")
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The node's overlays, without the boot script's stand-ins on PATH (systemctl is the real one).
	noStandIns := t.TempDir()
	args := append([]string{"-m", "--propagation", "private", "bash", "-c", mountScript, "node", n.root, n.work, noStandIns,
		"bash", script, filepath.Join(work, "config"), work}, startUnits...)
	cmd := exec.CommandContext(ctx, "unshare", args...)
	cmd.Env = append(os.Environ(), "WAIT_UNTIL="+waitUntil)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("user-manager.sh: %v\n%s", err, out)
	}
	return string(out)
}

// installedUnits reads a case's installed service, timer and drop-ins for the user manager,
// with RestartSec cut from 300 s to 1 s and, with fast, the timer's interval to 1 s.
func installedUnits(t *testing.T, n *node, f installed, fast bool) map[string]string {
	t.Helper()
	timer := string(n.read(t, f.timer))
	if fast {
		timer = regexp.MustCompile(`(?m)^(OnActiveSec|OnUnitActiveSec)=\d+s$`).ReplaceAllString(timer, "${1}=1s")
		timer = strings.Replace(timer, "AccuracySec=1min", "AccuracySec=1ms", 1)
	}
	retry := strings.Replace(string(n.read(t, f.retry)), "RestartSec=300s\n", "RestartSec=1s\n", 1)
	if !strings.Contains(retry, "RestartSec=1s\n") {
		t.Fatalf("unexpected drop-in:\n%s", retry)
	}
	return map[string]string{
		f.unit + ".service":                  string(n.read(t, f.service)),
		f.unit + ".service.d/retry.conf":     retry,
		f.unit + ".service.d/hardening.conf": string(n.read(t, f.hardening)),
		f.unit + ".timer":                    timer,
	}
}

// parseStates reads `systemctl show -p Id -p ActiveState -p SubState -p Result` blocks.
func parseStates(out string) map[string]string {
	states := map[string]string{}
	for _, block := range strings.Split(out, "\n\n") {
		props := map[string]string{}
		for _, l := range strings.Split(block, "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				props[k] = v
			}
		}
		states[props["Id"]] = props["ActiveState"] + "/" + props["SubState"] + "/" + props["Result"]
	}
	return states
}

// TestRetryWithRealSystemd runs the hardened service, its retry drop-in and the real program the
// boot script installed under real systemd (252 here, as on Amazon Linux 2023): a user service
// manager run by root in a private mount namespace over the node's overlays (user-manager.sh),
// which applies every directive of the unit (ProtectHome=tmpfs included; =yes it cannot). Stand-ins:
// `aws` (sandboxProbe: fails 10 calls, two runs of 5 attempts, then gives a token), `sleep` (the
// backoff returns at once), containerd and kubelet (they log that they started). RestartSec is cut
// from 300 s to 1 s.
func TestRetryWithRealSystemd(t *testing.T) {
	dir, cases := fixtures(t)
	c := cases[0]
	f := installedOf(c)
	n := newNode(t)
	n.setToken(t, ecrToken("systemd"))
	if out, code := n.run(t, "bash", filepath.Join(dir, c.Name+".sh")); code != 0 {
		t.Fatalf("boot script exited %d:\n%s", code, out)
	}
	must(t, os.MkdirAll(filepath.Join(n.root, "usr/local/bin"), 0o755))
	must(t, os.WriteFile(filepath.Join(n.root, "usr/local/bin/aws"), []byte(strings.Replace(sandboxProbe, "FAILS", "10", 1)), 0o755))
	must(t, os.WriteFile(filepath.Join(n.root, "usr/local/bin/sleep"), []byte("#!/bin/bash\n"), 0o755))
	records := filepath.Join(n.root, c.ConfigDirectory, ".node-e2e")
	before := n.written(t)

	units := installedUnits(t, n, f, false)
	units["containerd.service"] = "[Service]\nExecStart=/bin/bash -c 'echo \"containerd started\" >> " + c.ConfigDirectory + "/.node-e2e-events; exec /bin/sleep 600'\n"
	units["kubelet.service"] = "[Service]\nExecStart=/bin/bash -c 'echo \"kubelet started\" >> " + c.ConfigDirectory + "/.node-e2e-events; exec /bin/sleep 600'\n"
	out := withSystemd(t, n, units,
		"grep -q 'aws call 11' "+c.ConfigDirectory+"/.node-e2e-events && [[ $(systemctl --user show -P SubState "+f.unit+".service) == dead ]]",
		f.unit+".service", "containerd.service", "kubelet.service")
	logged, err := os.ReadFile(records + "-events")
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

	t.Run("the failed start job ends: systemctl reports it, and containerd and kubelet start", func(t *testing.T) {
		if !strings.Contains(out, "start: failed") {
			t.Errorf("systemctl start reported no failure:\n%s", out)
		}
		for _, unit := range []string{"containerd", "kubelet"} {
			// After the first run's 5 attempts (they are ordered after it), before the third run's.
			if i := index(unit + " started"); i < index("aws call 5") || i > index("aws call 11") {
				t.Errorf("%s started at event %d: %q", unit, i, lines)
			}
		}
	})

	t.Run("systemd reruns the failed refresh until it succeeds, and the hardened program writes the files", func(t *testing.T) {
		var calls []string
		for _, l := range lines {
			if strings.HasPrefix(l, "aws call") {
				calls = append(calls, l)
			}
		}
		if len(calls) != 11 {
			t.Errorf("aws calls %q, want 11 (three runs: 5, 5 and 1)", calls)
		}
		states := parseStates(out)
		want := map[string]string{
			f.unit + ".service":  "inactive/dead/success",
			"containerd.service": "active/running/success",
			"kubelet.service":    "active/running/success",
		}
		for unit, state := range want {
			if states[unit] != state {
				t.Errorf("%s: %s, want %s (%v)", unit, states[unit], state, states)
			}
		}
		token := ecrToken("systemd-" + c.Region)
		for _, u := range c.Upstreams {
			if data := n.read(t, hostsPath(c, u)); !bytes.Contains(data, []byte("Basic "+token)) {
				t.Errorf("%s was not refreshed by the service:\n%s", hostsPath(c, u), data)
			}
		}
	})

	t.Run("the sandbox holds: no write outside the config directory, an empty home, no capability", func(t *testing.T) {
		sandbox, err := os.ReadFile(records + "-sandbox")
		must(t, err)
		if strings.TrimSpace(string(sandbox)) != "" {
			t.Errorf("the service's program could do what the unit forbids:\n%s", sandbox)
		}
		for path := range n.written(t) {
			if _, ok := before[path]; !ok && !strings.HasPrefix(path, c.ConfigDirectory+"/") {
				t.Errorf("%s was written outside the config directory", path)
			}
		}
		if score := exposure(t, n, f.service); score > maxExposure {
			t.Errorf("exposure %.1f of the unit systemd ran, want at most %.1f", score, maxExposure)
		}
	})
}

// lowerUnit is the unit of the two whose id is lower: the one that keeps a host both mirror.
func lowerUnit(a, b installed) installed {
	if a.unit < b.unit {
		return a
	}
	return b
}

// TestTwoCachesOnOneNode runs two caches' boot scripts on one node, then their timers under real
// systemd (intervals cut to 1 s): each keeps its own program and units, both caches' files are
// refreshed, and the host both mirror (quay.io) stays with the cache of the lower id.
func TestTwoCachesOnOneNode(t *testing.T) {
	dir, _ := fixtures(t)
	data, err := os.ReadFile(filepath.Join(dir, "two-caches.json"))
	must(t, err)
	var caches []fixtureCase
	must(t, json.Unmarshal(data, &caches))
	if len(caches) != 2 {
		t.Fatalf("%d caches in two-caches.json", len(caches))
	}
	first, second := caches[0], caches[1]
	ff, fs2 := installedOf(first), installedOf(second)
	if ff.unit == fs2.unit {
		t.Fatalf("both caches are %s", ff.unit)
	}
	n := newNode(t)
	n.setToken(t, ecrToken("boot"))
	for _, c := range caches {
		if out, code := n.run(t, "bash", filepath.Join(dir, c.Name+".sh")); code != 0 {
			t.Fatalf("%s: boot script exited %d:\n%s", c.Name, code, out)
		}
	}
	owner := func(c fixtureCase, host string) string {
		text := string(n.read(t, c.ConfigDirectory+"/"+host+"/hosts.toml"))
		return strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(text, "\n", 2)[0], "# written by "), " (cdk-pull-through-cache)")
	}

	lower := lowerUnit(ff, fs2)
	t.Run("the boot scripts: each its own program and units; the shared host stays with the lower id", func(t *testing.T) {
		files := n.written(t)
		for _, f := range []installed{ff, fs2} {
			for _, path := range []string{f.program, f.service, f.timer, f.retry, f.hardening} {
				if _, ok := files[path]; !ok {
					t.Errorf("%s is missing", path)
				}
			}
		}
		want := map[string]string{"docker.io": ff.unit, "ghcr.io": fs2.unit, "quay.io": lower.unit}
		for host, unit := range want {
			if got := owner(first, host); got != unit {
				t.Errorf("%s written by %s, want %s", host, got, unit)
			}
		}
		n.records(t, "aws")
		n.records(t, "systemctl")
	})

	must(t, os.MkdirAll(filepath.Join(n.root, "usr/local/bin"), 0o755))
	must(t, os.WriteFile(filepath.Join(n.root, "usr/local/bin/aws"), []byte(strings.Replace(sandboxProbe, "FAILS", "0", 1)), 0o755))
	units := installedUnits(t, n, ff, true)
	for name, content := range installedUnits(t, n, fs2, true) {
		units[name] = content
	}
	firstToken, secondToken := ecrToken("systemd-"+first.Region), ecrToken("systemd-"+second.Region)
	quayToken := firstToken
	if lower.unit == fs2.unit {
		quayToken = secondToken
	}
	grep := func(token, host string) string {
		return "grep -q 'Basic " + token + "' " + first.ConfigDirectory + "/" + host + "/hosts.toml"
	}
	out := withSystemd(t, n, units, grep(firstToken, "docker.io")+" && "+grep(quayToken, "quay.io")+" && "+grep(secondToken, "ghcr.io"),
		ff.unit+".timer", fs2.unit+".timer")

	t.Run("their timers' runs refresh both caches' files, each with its own registry's token", func(t *testing.T) {
		for host, token := range map[string]string{"docker.io": firstToken, "quay.io": quayToken, "ghcr.io": secondToken} {
			if data := n.read(t, first.ConfigDirectory+"/"+host+"/hosts.toml"); !bytes.Contains(data, []byte("Basic "+token)) {
				t.Errorf("%s was not refreshed with its cache's token:\n%s\n%s", host, data, out)
			}
		}
		if got := owner(first, "quay.io"); got != lower.unit {
			t.Errorf("quay.io written by %s after the timers' runs, want %s", got, lower.unit)
		}
		states := parseStates(out)
		for _, f := range []installed{ff, fs2} {
			if !strings.HasPrefix(states[f.unit+".timer"], "active/waiting") {
				t.Errorf("%s.timer: %s", f.unit, states[f.unit+".timer"])
			}
		}
	})
}

// TestCachesOfOneAccountMirroringOneHost runs the boot scripts of two caches of one account and
// region that mirror quay.io under two prefixes (team-a-quay, team-b-quay), in both orders on two
// nodes: each keeps its own program and units (two ids), and quay.io ends with the cache of the
// lower id, its endpoint in the file, whichever script ran first.
func TestCachesOfOneAccountMirroringOneHost(t *testing.T) {
	dir, _ := fixtures(t)
	data, err := os.ReadFile(filepath.Join(dir, "team-caches.json"))
	must(t, err)
	var caches []fixtureCase
	must(t, json.Unmarshal(data, &caches))
	if len(caches) != 2 {
		t.Fatalf("%d caches in team-caches.json", len(caches))
	}
	a, b := installedOf(caches[0]), installedOf(caches[1])
	if a.unit == b.unit {
		t.Fatalf("both caches are %s", a.unit)
	}
	lower, lowerCase := a, caches[0]
	if b.unit < a.unit {
		lower, lowerCase = b, caches[1]
	}
	for _, order := range [][]fixtureCase{{caches[0], caches[1]}, {caches[1], caches[0]}} {
		t.Run(order[0].Name+" first", func(t *testing.T) {
			n := newNode(t)
			n.setToken(t, ecrToken("boot"))
			for _, c := range order {
				if out, code := n.run(t, "bash", filepath.Join(dir, c.Name+".sh")); code != 0 {
					t.Fatalf("%s: boot script exited %d:\n%s", c.Name, code, out)
				}
			}
			files := n.written(t)
			for _, f := range []installed{a, b} {
				for _, path := range []string{f.program, f.service, f.timer} {
					if _, ok := files[path]; !ok {
						t.Errorf("%s is missing", path)
					}
				}
			}
			text := string(n.read(t, "/etc/containerd/certs.d/quay.io/hosts.toml"))
			if !strings.HasPrefix(text, "# written by "+lower.unit+" ") || !strings.Contains(text, `[host."`+lowerCase.Upstreams[0].Endpoint+`"]`) {
				t.Errorf("quay.io, want it written by %s (%s):\n%s", lower.unit, lowerCase.Upstreams[0].Endpoint, text)
			}
		})
	}
}

// TestHostileInput runs boot scripts built from hostile input (payloads.json): a construct id
// with a newline, and a CfnParameter account, region, prefix, Azure registry name, refresh
// interval or configDirectory resolved as CloudFormation would to `x' 'y' 'z'; touch <marker>; : '`
// or to a value that closes the program's here-document, and a configDirectory resolved to a
// system directory (/etc, /etc/systemd/system, /usr/local/sbin). No payload may run; a refused
// value stops the script before it installs or fetches anything.
func TestHostileInput(t *testing.T) {
	dir, _ := fixtures(t)
	data, err := os.ReadFile(filepath.Join(dir, "payloads.json"))
	must(t, err)
	var payloads []struct {
		Name    string `json:"name"`
		Marker  string `json:"marker"`
		Refused bool   `json:"refused"`
	}
	must(t, json.Unmarshal(data, &payloads))
	if len(payloads) < 16 {
		t.Fatalf("%d payloads", len(payloads))
	}
	for _, p := range payloads {
		t.Run(p.Name, func(t *testing.T) {
			n := newNode(t)
			n.setToken(t, ecrToken("hostile"))
			out, code := n.run(t, "bash", filepath.Join(dir, "payload-"+p.Name+".sh"))
			if _, err := os.Stat(filepath.Join(n.root, p.Marker)); err == nil {
				t.Fatalf("the payload ran: %s exists\n%s", p.Marker, out)
			}
			if _, err := os.Stat(p.Marker); err == nil {
				t.Fatalf("the payload ran: %s exists on the host", p.Marker)
			}
			if !p.Refused {
				if code != 0 {
					t.Errorf("boot script exited %d:\n%s", code, out)
				}
				return
			}
			if code != 2 || !strings.Contains(out, "refusing to run: ") || !strings.Contains(out, "nothing is installed") {
				t.Errorf("boot script exited %d, want 2 with the refusal:\n%s", code, out)
			}
			for path, mode := range n.written(t) {
				if !mode.IsDir() {
					t.Errorf("%s was written", path)
				}
			}
			n.expectRecords(t, "aws", nil)
			n.expectRecords(t, "systemctl", nil)
		})
	}
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
