package ci

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sleuth-ci/sleuth/internal/netguard"
)

// Timeouts bound every phase of a request.
type Timeouts struct {
	Connect time.Duration // TCP connect
	TLS     time.Duration // TLS handshake
	Header  time.Duration // from the request sent to the response headers
	Total   time.Duration // the whole request, reading the body included
}

// DefaultTimeouts leave time to stream a long log and fail fast on a dead host.
var DefaultTimeouts = Timeouts{Connect: 10 * time.Second, TLS: 10 * time.Second, Header: 30 * time.Second, Total: 5 * time.Minute}

// Body caps: what a misbehaving or hostile server can make sleuth read.
const (
	maxJSONBytes  = 32 << 20 // one API answer
	maxErrorBytes = 64 << 10 // an error body, of which only the message is kept
	maxLogBytes   = 1 << 30  // one job's log, streamed
	maxZipBytes   = 1 << 30  // a run's log archive, kept in a temporary file
	maxRedirects  = 5
)

// credentialHeaders are every header through which a provider token can travel.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Private-Token", "Job-Token", "Circle-Token"}

// credential is a token and the one origin (scheme://host:port) it may be sent to.
type credential struct {
	env    string // the variable it came from, for messages; never the value
	header string // the header that carries it
	value  string // the header value
	origin string
}

type credentialKey struct{}

func withCredential(ctx context.Context, c *credential) context.Context {
	if c == nil {
		return ctx
	}
	return context.WithValue(ctx, credentialKey{}, c)
}

// authTransport adds the request's credential only when the request goes to the origin the
// credential belongs to. The credential never sits in the request's own headers, so the
// client cannot copy it onto a redirect to another host: GitHub's log endpoints redirect to
// a storage host with a signed URL, which must be fetched without the token.
type authTransport struct{ next http.RoundTripper }

func (t authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c, _ := req.Context().Value(credentialKey{}).(*credential)
	if c == nil || c.value == "" || netguard.Origin(req.URL) != c.origin {
		return t.next.RoundTrip(req)
	}
	if req.URL.Scheme != "https" && !netguard.IsLoopback(req.URL.Host) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("refusing to send %s over plain http to %s: use an https URL", c.env, req.URL.Host)
	}
	r := req.Clone(req.Context())
	r.Header.Set(c.header, c.value)
	return t.next.RoundTrip(r)
}

// NewHTTPClient returns the client the fetchers use: bounded phases, at most 5 redirects, no
// redirect from https down to plain http, and no credential header ever forwarded to
// another origin.
func NewHTTPClient(t Timeouts) *http.Client {
	dialer := &net.Dialer{Timeout: t.Connect, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   t.TLS,
		ResponseHeaderTimeout: t.Header,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
	return &http.Client{
		Transport:     authTransport{next: tr},
		Timeout:       t.Total,
		CheckRedirect: checkRedirect,
	}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	prev := via[len(via)-1]
	if prev.URL.Scheme == "https" && req.URL.Scheme != "https" && !netguard.IsLoopback(req.URL.Host) {
		return fmt.Errorf("refusing a redirect from https to plain http (%s)", req.URL.Host)
	}
	if netguard.Origin(prev.URL) != netguard.Origin(req.URL) {
		for _, h := range credentialHeaders {
			req.Header.Del(h)
		}
	}
	return nil
}

// HTTPError is an answer other than 2xx.
type HTTPError struct {
	Status  int
	Host    string // the host that answered
	Message string // the server's own message, if its body had one (already shortened)
	Header  http.Header
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s answered %d %s", e.Host, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += " (" + e.Message + ")"
	}
	return s
}

// request is one GET.
type request struct {
	url    string
	cred   *credential
	accept string
	header map[string]string
}

// get sends the request and returns the response of a 2xx answer, or an *HTTPError.
func (c *Client) get(ctx context.Context, r request) (*http.Response, error) {
	req, err := http.NewRequestWithContext(withCredential(ctx, r.cred), http.MethodGet, r.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "sleuth")
	if r.accept != "" {
		req.Header.Set("Accept", r.accept)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, netError(err, req.URL.Host)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	return nil, &HTTPError{
		Status:  resp.StatusCode,
		Host:    resp.Request.URL.Host,
		Message: serverMessage(body),
		Header:  resp.Header,
	}
}

// getJSON GETs a JSON document into v and returns the response headers.
func (c *Client) getJSON(ctx context.Context, r request, v any) (http.Header, error) {
	resp, err := c.get(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	lr := capped(resp.Body, maxJSONBytes, "the answer from "+resp.Request.URL.Host)
	if err := json.NewDecoder(lr).Decode(v); err != nil {
		if lr.err != nil {
			return nil, lr.err
		}
		return nil, fmt.Errorf("%s sent an answer that is not the expected JSON: %v", resp.Request.URL.Host, err)
	}
	return resp.Header, nil
}

// serverMessage picks the human message out of an error body: the "message" (GitHub,
// GitLab, Buildkite, CircleCI) or "error" field of a JSON object, or a short plain body.
func serverMessage(body []byte) string {
	var v struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &v) == nil {
		for _, raw := range []json.RawMessage{v.Message, v.Error} {
			var s string
			if len(raw) > 0 && json.Unmarshal(raw, &s) == nil && s != "" {
				msg = s
				break
			}
		}
	} else if t := strings.TrimSpace(string(body)); t != "" && !strings.HasPrefix(t, "<") && len(t) <= 200 {
		msg = t
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

// netError shortens a transport error to one line that names the host.
func netError(err error, host string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return fmt.Errorf("cannot resolve %s: %v", host, dns.Err)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%s did not answer in time: %v", host, err)
	}
	return fmt.Errorf("request to %s failed: %v", host, err)
}

// cappedReader stops with an error after limit bytes.
type cappedReader struct {
	r     io.Reader
	left  int64
	limit int64
	what  string
	err   error
}

func capped(r io.Reader, limit int64, what string) *cappedReader {
	return &cappedReader{r: r, left: limit, limit: limit, what: what}
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.left <= 0 {
		// Probe: a body of exactly the cap is fine.
		var b [1]byte
		n, err := c.r.Read(b[:])
		if n == 0 && err != nil {
			return 0, err
		}
		c.err = fmt.Errorf("%s is larger than %d MiB; stopped reading", c.what, c.limit>>20)
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// body is a streamed log body with a cap and the response's size.
type body struct {
	io.Reader
	closer io.Closer
}

func (b body) Close() error { return b.closer.Close() }

// stream GETs a log and returns its body, capped, with its size (-1 if unknown).
func (c *Client) stream(ctx context.Context, r request, what string) (io.ReadCloser, int64, error) {
	resp, err := c.get(ctx, r)
	if err != nil {
		return nil, 0, err
	}
	cr := capped(resp.Body, maxLogBytes, what)
	return body{Reader: cr, closer: resp.Body}, resp.ContentLength, nil
}

// retryAfter reads a Retry-After header in seconds.
func retryAfter(h http.Header) (time.Duration, bool) {
	if v := h.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
			return time.Duration(n) * time.Second, true
		}
	}
	return 0, false
}
