package registry

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/netguard"
)

// Target is a registry the user named, resolved to the URL of its API.
type Target struct {
	Base     *url.URL // scheme://host[:port] of the /v2/ API
	CredHost string   // the key credentials are stored under (docker.io for Docker Hub)
	Notes    []string // how the name was interpreted
}

var dockerHubNames = map[string]bool{
	"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true, "registry.hub.docker.com": true,
}

// ParseTarget accepts HOST, HOST:PORT, or an http(s) URL (a path such as /v1/ or /v2/ is
// ignored). Without a scheme, loopback hosts use http (as Docker and go-containerregistry do)
// and every other host https.
func ParseTarget(s string) (*Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("no registry host given")
	}
	t := &Target{}
	var u *url.URL
	if strings.Contains(s, "://") {
		var err error
		u, err = url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("registry %q is not a valid URL: %v", s, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("registry %q: scheme must be http or https", s)
		}
		if u.User != nil {
			return nil, fmt.Errorf("registry URL must not contain credentials: store them with 'sleuth registry add' or docker login")
		}
		if p := strings.Trim(u.Path, "/"); p != "" && p != "v1" && p != "v2" {
			t.Notes = append(t.Notes, fmt.Sprintf("path %q ignored: the registry API is always at /v2/", u.Path))
		}
	} else {
		host := s
		if i := strings.IndexByte(host, '/'); i >= 0 {
			t.Notes = append(t.Notes, fmt.Sprintf("path %q ignored: the registry API is always at /v2/", host[i:]))
			host = host[:i]
		}
		scheme := "https"
		if netguard.IsLoopback(host) {
			scheme = "http"
			t.Notes = append(t.Notes, "loopback host without a scheme: using http:// (give https://"+host+" to use TLS)")
		}
		u = &url.URL{Scheme: scheme, Host: host}
	}
	if u.Host == "" || strings.ContainsAny(u.Host, " \t\"'\\") {
		return nil, fmt.Errorf("registry %q has no valid host", s)
	}
	host := strings.ToLower(u.Host)
	t.CredHost = host
	if dockerHubNames[host] {
		t.CredHost = "docker.io"
		if host != "registry-1.docker.io" {
			t.Notes = append(t.Notes, "Docker Hub: the API host is registry-1.docker.io")
		}
		host = "registry-1.docker.io"
	}
	t.Base = &url.URL{Scheme: u.Scheme, Host: host}
	return t, nil
}

// splitRepo splits NAME[:TAG|@DIGEST] into the name and the reference (empty when none).
func splitRepo(repo string) (name, ref string) {
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		return repo[:i], repo[i+1:]
	}
	slash := strings.LastIndexByte(repo, '/')
	if i := strings.LastIndexByte(repo, ':'); i > slash {
		return repo[:i], repo[i+1:]
	}
	return repo, ""
}

func validRepoName(name string) bool {
	if name == "" || len(name) > 255 {
		return false
	}
	for _, comp := range strings.Split(name, "/") {
		if comp == "" {
			return false
		}
		for i := 0; i < len(comp); i++ {
			c := comp[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}
