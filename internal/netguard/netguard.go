// Package netguard holds the small rules every outgoing request of sleuth follows: which
// hosts are the local machine, and when two URLs are the same origin (so a credential may
// follow a redirect).
package netguard

import (
	"net"
	"net/url"
	"strings"
)

// IsLoopback reports whether host (with or without a port) is localhost or a loopback
// address: the only hosts credentials may reach over plain HTTP.
func IsLoopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Origin is scheme://host:port in lower case, with the scheme's default port filled in.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// SameOrigin reports whether a and b have the same scheme, host and port.
func SameOrigin(a, b *url.URL) bool { return Origin(a) == Origin(b) }
