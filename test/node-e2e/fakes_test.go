package nodee2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Loopback addresses of the stand-ins. S3 is on another address than ECR on purpose: Go's HTTP
// client keeps the Authorization header on a redirect to the same host name (ports are not
// compared), and real ECR redirects to another domain (an S3 bucket), where the header is dropped.
const (
	ecrAddress      = "127.0.0.1"
	s3Address       = "127.0.0.2"
	upstreamAddress = "127.0.0.3"
)

// testCA is a certificate authority made for one test run, and a server certificate for the
// three loopback addresses.
type testCA struct {
	pool   *x509.CertPool
	server tls.Certificate
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "node-e2e test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	must(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	must(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	template := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "node-e2e loopback"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP(ecrAddress), net.ParseIP(s3Address), net.ParseIP(upstreamAddress)},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, caCert, &key.PublicKey, caKey)
	must(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &testCA{pool: pool, server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
}

// serve starts an HTTPS server on address:0 with the CA's certificate.
func (ca *testCA) serve(t *testing.T, address string, handler http.Handler) *httptest.Server {
	t.Helper()
	listener, err := net.Listen("tcp", address+":0")
	must(t, err)
	server := httptest.NewUnstartedServer(handler)
	server.Listener = listener
	server.TLS = &tls.Config{Certificates: []tls.Certificate{ca.server}}
	server.Config.ReadHeaderTimeout = 5 * time.Second
	server.StartTLS()
	t.Cleanup(server.Close)
	return server
}

// recorded is one request a stand-in received.
type recorded struct {
	Method        string
	Path          string
	Authorization string
}

type recorder struct {
	mu       sync.Mutex
	requests []recorded
}

func (r *recorder) record(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, recorded{req.Method, req.URL.Path, req.Header.Get("Authorization")})
}

func (r *recorder) take() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.requests
	r.requests = nil
	return out
}

// image is what a registry serves for one image: its manifest and blobs.
type image struct {
	repository string
	tag        string
	manifest   []byte
	digest     digest.Digest
	blobs      map[digest.Digest][]byte
}

// newImage makes a small OCI image (a config and one layer) whose bytes depend on its name.
func newImage(repository, tag string) *image {
	seed := sha256.Sum256([]byte(repository + ":" + tag))
	layer := []byte(fmt.Sprintf("layer of %s:%s %x", repository, tag, seed))
	config := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}`, digest.FromBytes(layer)))
	manifest, _ := json.Marshal(ocispec.Manifest{
		Versioned: ocispecVersioned(),
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(config), Size: int64(len(config))},
		Layers:    []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(layer), Size: int64(len(layer))}},
	})
	return &image{
		repository: repository,
		tag:        tag,
		manifest:   manifest,
		digest:     digest.FromBytes(manifest),
		blobs:      map[digest.Digest][]byte{digest.FromBytes(config): config, digest.FromBytes(layer): layer},
	}
}

// registryContent serves the images of a registry under /v2/<repository>/: what both the
// upstream stand-in and the cache serve (the cache under its prefix).
type registryContent struct {
	images []*image
}

// serveManifestOrBlob answers GET/HEAD <repository>/manifests/<ref>, and gives the blob of
// <repository>/blobs/<digest> to blob (nil: not found).
func (c *registryContent) find(rest string) (manifest *image, blob []byte, found bool) {
	for _, img := range c.images {
		prefix := img.repository + "/"
		if !strings.HasPrefix(rest, prefix) {
			continue
		}
		tail := strings.TrimPrefix(rest, prefix)
		switch {
		case tail == "manifests/"+img.tag || tail == "manifests/"+img.digest.String():
			return img, nil, true
		case strings.HasPrefix(tail, "blobs/"):
			if b, ok := img.blobs[digest.Digest(strings.TrimPrefix(tail, "blobs/"))]; ok {
				return nil, b, true
			}
		}
	}
	return nil, nil, false
}

func writeManifest(w http.ResponseWriter, req *http.Request, img *image) {
	w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
	w.Header().Set("Docker-Content-Digest", img.digest.String())
	w.Header().Set("Content-Length", fmt.Sprint(len(img.manifest)))
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodGet {
		_, _ = w.Write(img.manifest)
	}
}

func writeBlob(w http.ResponseWriter, req *http.Request, blob []byte) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(len(blob)))
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodGet {
		_, _ = w.Write(blob)
	}
}

func registryError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`, code, message)
}

// anonymousToken is the bearer token the upstream stand-in's token endpoint gives anyone.
const anonymousToken = "anonymous-pull-token"

// upstreamRegistry stands in for Docker Hub, GHCR, registry.k8s.io, Quay: anonymous pulls of
// /v2/<repository>/..., with Docker Hub's token dance: a 401 Bearer challenge, then an anonymous
// token from /token (which must come without Authorization).
type upstreamRegistry struct {
	recorder
	content *registryContent
}

func (u *upstreamRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	u.record(req)
	if req.URL.Path == "/token" {
		if req.Header.Get("Authorization") != "" {
			registryError(w, http.StatusUnauthorized, "UNAUTHORIZED", "this stand-in gives anonymous tokens only")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"token":%q,"expires_in":300}`, anonymousToken)
		return
	}
	rest, ok := strings.CutPrefix(req.URL.Path, "/v2/")
	if !ok {
		registryError(w, http.StatusNotFound, "NOT_FOUND", "not a registry path")
		return
	}
	if req.Header.Get("Authorization") != "Bearer "+anonymousToken {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://`+req.Host+`/token",service="upstream.test"`)
		registryError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
		return
	}
	img, blob, found := u.content.find(rest)
	switch {
	case !found:
		registryError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "not found")
	case img != nil:
		writeManifest(w, req, img)
	default:
		writeBlob(w, req, blob)
	}
}

// fakeECR stands in for the cache's registry: it answers only under /v2/<prefix>/ of its
// prefixes, only with `Authorization: Basic <token>` of a token it issued, refuses an expired
// token (403, as ECR does), and redirects blob downloads (307) to the S3 stand-in.
type fakeECR struct {
	recorder
	prefixes map[string]bool
	content  *registryContent
	s3URL    string

	mu      sync.Mutex
	token   string
	expired bool
}

func (e *fakeECR) issue(token string, expired bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.token, e.expired = token, expired
}

func (e *fakeECR) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	e.record(req)
	e.mu.Lock()
	token, expired := e.token, e.expired
	e.mu.Unlock()
	if token == "" || req.Header.Get("Authorization") != "Basic "+token {
		w.Header().Set("WWW-Authenticate", `Basic realm="https://`+req.Host+`/",service="ecr.amazonaws.com"`)
		registryError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
		return
	}
	if expired {
		registryError(w, http.StatusForbidden, "DENIED", "Your authorization token has expired. Reauthenticate and try again.")
		return
	}
	rest, ok := strings.CutPrefix(req.URL.Path, "/v2/")
	prefix := ""
	if ok {
		for p := range e.prefixes {
			if strings.HasPrefix(rest, p+"/") {
				prefix = p
			}
		}
	}
	if prefix == "" {
		registryError(w, http.StatusNotFound, "NAME_UNKNOWN", "not under a pull-through cache prefix")
		return
	}
	img, blob, found := e.content.find(strings.TrimPrefix(rest, prefix+"/"))
	switch {
	case !found:
		registryError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "not found")
	case img != nil:
		writeManifest(w, req, img)
	default:
		http.Redirect(w, req, e.s3URL+"/layers/"+digest.FromBytes(blob).String()+"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0123", http.StatusTemporaryRedirect)
	}
}

// fakeS3 serves blobs by digest to presigned URLs and, like S3, rejects a request that also
// carries an Authorization header.
type fakeS3 struct {
	recorder
	content *registryContent
}

func (s *fakeS3) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s.record(req)
	if req.Header.Get("Authorization") != "" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprint(w, "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>")
		return
	}
	d := digest.Digest(strings.TrimPrefix(req.URL.Path, "/layers/"))
	for _, img := range s.content.images {
		if blob, ok := img.blobs[d]; ok {
			writeBlob(w, req, blob)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
}
