package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sleuth-ci/sleuth/internal/netguard"
)

// Timeouts bound every phase of a request.
type Timeouts struct {
	Connect time.Duration // TCP connect (and DNS)
	TLS     time.Duration // TLS handshake
	Header  time.Duration // from request sent to response headers
	Total   time.Duration // the whole operation
}

// DefaultTimeouts are generous for a slow registry and short enough for CI.
var DefaultTimeouts = Timeouts{Connect: 10 * time.Second, TLS: 10 * time.Second, Header: 30 * time.Second, Total: 2 * time.Minute}

// Body size caps: a registry error or token response is small; anything bigger is hostile.
const (
	maxErrorBody = 64 << 10
	maxTokenBody = 1 << 20
	maxRedirects = 5
)

// ClientOptions configure the HTTP client shared by the handshake, the probe and pull.
type ClientOptions struct {
	Insecure  bool // skip TLS verification (said loudly by the callers)
	AllowHTTP bool // allow credentials over plain HTTP to non-loopback hosts (probe --allow-http)
	Timeouts  Timeouts
	// Resolver replaces the system resolver (tests point it at a loopback DNS server).
	Resolver *net.Resolver
	// RootCAs replaces the system roots (nil: system roots).
	RootCAs *x509.CertPool
	// Proxy chooses the proxy (nil: HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment).
	Proxy func(*http.Request) (*url.URL, error)
	// OnRedirect is told about every redirect followed and whether Authorization was dropped.
	OnRedirect func(from, to *url.URL, droppedAuth bool)
}

func (o ClientOptions) timeouts() Timeouts {
	t := o.Timeouts
	d := DefaultTimeouts
	if t.Connect <= 0 {
		t.Connect = d.Connect
	}
	if t.TLS <= 0 {
		t.TLS = d.TLS
	}
	if t.Header <= 0 {
		t.Header = d.Header
	}
	if t.Total <= 0 {
		t.Total = d.Total
	}
	return t
}

// PlainHTTPError is returned instead of sending a credential over plain HTTP to a host that is
// not loopback.
type PlainHTTPError struct{ Host string }

func (e *PlainHTTPError) Error() string {
	return fmt.Sprintf("refusing to send credentials over plain HTTP to %s (only loopback hosts are allowed): use https", e.Host)
}

// guard refuses credentials over plain HTTP to non-loopback hosts, whoever set them.
type guard struct {
	next      http.RoundTripper
	allowHTTP bool
}

// anonymousAuth marks a request whose Authorization carries only an anonymous token (no
// secret of the user's): the plain-HTTP guard lets it through.
type anonymousAuth struct{}

func withAnonymousAuth(ctx context.Context) context.Context {
	return context.WithValue(ctx, anonymousAuth{}, true)
}

func (g guard) RoundTrip(req *http.Request) (*http.Response, error) {
	anon, _ := req.Context().Value(anonymousAuth{}).(bool)
	if req.URL.Scheme == "http" && !g.allowHTTP && !anon && !netguard.IsLoopback(req.URL.Host) && hasCredential(req.Header) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &PlainHTTPError{Host: req.URL.Host}
	}
	return g.next.RoundTrip(req)
}

func hasCredential(h http.Header) bool {
	return h.Get("Authorization") != "" || h.Get("Proxy-Authorization") != ""
}

// NewTransport returns a transport with the timeouts, TLS settings and the plain-HTTP guard.
func NewTransport(o ClientOptions) http.RoundTripper {
	t := o.timeouts()
	dialer := &net.Dialer{Timeout: t.Connect, KeepAlive: 30 * time.Second, Resolver: o.Resolver}
	proxy := o.Proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	tr := &http.Transport{
		Proxy:                 proxy,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   t.TLS,
		ResponseHeaderTimeout: t.Header,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: o.Insecure, //nolint:gosec // only with --insecure, and the output says so
			RootCAs:            o.RootCAs,
		},
	}
	return guard{next: tr, allowHTTP: o.AllowHTTP}
}

// NewClient returns an HTTP client that follows at most 5 redirects and never forwards
// Authorization to another origin (scheme, host and port) than the one it was set for.
func NewClient(o ClientOptions) *http.Client {
	return &http.Client{
		Transport: NewTransport(o),
		Timeout:   o.timeouts().Total,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			prev := via[len(via)-1]
			dropped := false
			if !netguard.SameOrigin(prev.URL, req.URL) && hasCredential(req.Header) {
				req.Header.Del("Authorization")
				req.Header.Del("Proxy-Authorization")
				dropped = true
			}
			if o.OnRedirect != nil {
				o.OnRedirect(prev.URL, req.URL, dropped)
			}
			return nil
		},
	}
}

// readCapped reads at most n bytes of r and says whether there was more.
func readCapped(r io.Reader, n int64) ([]byte, bool) {
	b, _ := io.ReadAll(io.LimitReader(r, n+1))
	if int64(len(b)) > n {
		return b[:n], true
	}
	return b, false
}

// NetProblem classifies a transport error into a verdict code and a one-line reason.
func NetProblem(err error, host string) (code, reason string) {
	var (
		dnsErr   *net.DNSError
		plain    *PlainHTTPError
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
		verifyEr *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &plain):
		return VerdictPlainHTTP, plain.Error()
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return VerdictDNS, fmt.Sprintf("the name %s does not resolve (DNS: no such host)", dnsErr.Name)
		}
		if dnsErr.IsTimeout {
			return VerdictDNS, fmt.Sprintf("DNS lookup of %s timed out", dnsErr.Name)
		}
		return VerdictDNS, fmt.Sprintf("DNS lookup of %s failed: %s", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &unknown):
		return VerdictTLS, "TLS: the certificate is signed by an unknown authority" + certSubject(unknown.Cert)
	case errors.As(err, &hostErr):
		return VerdictTLS, "TLS: " + hostErr.Error()
	case errors.As(err, &invalid):
		return VerdictTLS, "TLS: " + invalid.Error()
	case errors.As(err, &verifyEr):
		return VerdictTLS, "TLS: " + verifyEr.Error()
	case errors.As(err, &recErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return VerdictTLS, fmt.Sprintf("TLS: %s does not speak TLS on this port (it answered in plain HTTP or another protocol)", host)
	case errors.As(err, &alertErr):
		return VerdictTLS, "TLS handshake failed: the server sent alert " + alertErr.Error()
	case isConnRefused(err):
		return VerdictRefused, fmt.Sprintf("connection refused: nothing listens on %s", host)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return VerdictTimeout, fmt.Sprintf("timed out talking to %s: %s", host, rootCause(err))
	case strings.Contains(err.Error(), "tls: "):
		return VerdictTLS, "TLS: " + rootCause(err)
	}
	return VerdictNetwork, rootCause(err)
}

func certSubject(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf(" (subject %q, issuer %q)", c.Subject.String(), c.Issuer.String())
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
