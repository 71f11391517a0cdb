package netguard

import (
	"net/url"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.0.0.1:5000": true, "[::1]:443": true, "::1": true, "localhost": true,
		"LOCALHOST:80": true, "registry.localhost": true, "localhost.": true, "127.1.2.3": true,
		"10.0.0.1": false, "ghcr.io": false, "localhost.example.com": false, "0.0.0.0": false, "": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://ghcr.io/v2/", "https://GHCR.io:443/token", true},
		{"http://127.0.0.1/x", "http://127.0.0.1:80/y", true},
		{"https://api.github.com/x", "https://objects.example.com/x", false},
		{"https://ghcr.io/", "http://ghcr.io/", false},
		{"https://ghcr.io:5000/", "https://ghcr.io/", false},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		if got := SameOrigin(a, b); got != tt.want {
			t.Errorf("SameOrigin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
