package registry

import (
	"fmt"
	"strings"
)

// Verdict codes. They are part of the JSON output.
const (
	VerdictOK                = "ok"
	VerdictNoCredentials     = "no-credentials"
	VerdictInvalid           = "invalid-credentials"
	VerdictExpired           = "expired"
	VerdictInsufficientScope = "insufficient-scope"
	VerdictDenied            = "denied"
	VerdictNotFound          = "not-found"
	VerdictRateLimited       = "rate-limited"
	VerdictTLS               = "tls-error"
	VerdictDNS               = "dns-error"
	VerdictRefused           = "connection-refused"
	VerdictTimeout           = "timeout"
	VerdictNotRegistry       = "not-a-registry"
	VerdictPlainHTTP         = "plain-http-refused"
	VerdictServerError       = "server-error"
	VerdictNetwork           = "network-error"
)

// Verdict is the conclusion of a test: what is wrong, why we think so, and what to do.
type Verdict struct {
	Code   string   `json:"code"`
	OK     bool     `json:"ok"`
	Reason string   `json:"reason"`
	Fix    []string `json:"fix,omitempty"`
}

// provider names the registry family of a host, for provider-specific advice.
func provider(host string) string {
	h := strings.ToLower(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	switch {
	case h == "docker.io" || strings.HasSuffix(h, ".docker.io"):
		return "dockerhub"
	case h == "ghcr.io" || h == "docker.pkg.github.com":
		return "ghcr"
	case h == "public.ecr.aws":
		return "ecr-public"
	case strings.Contains(h, ".dkr.ecr.") && strings.Contains(h, ".amazonaws.com"):
		return "ecr"
	case h == "gcr.io" || strings.HasSuffix(h, ".gcr.io"):
		return "gcr"
	case strings.HasSuffix(h, "-docker.pkg.dev"):
		return "artifact-registry"
	case strings.HasSuffix(h, ".azurecr.io"):
		return "acr"
	case h == "quay.io":
		return "quay"
	case strings.Contains(h, "gitlab"):
		return "gitlab"
	}
	return ""
}

func ecrRegion(host string) string {
	// <acct>.dkr.ecr.<region>.amazonaws.com
	parts := strings.Split(host, ".")
	for i, p := range parts {
		if p == "ecr" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	return "REGION"
}

// loginFix is how to log in to host with the provider's own tooling.
func loginFix(host string) string {
	switch provider(host) {
	case "ecr":
		return fmt.Sprintf("aws ecr get-login-password --region %s | docker login --username AWS --password-stdin %s", ecrRegion(host), host)
	case "ghcr":
		return "echo \"$GITHUB_TOKEN\" | docker login ghcr.io -u USERNAME --password-stdin   (a classic PAT with read:packages, or GITHUB_TOKEN in Actions; fine-grained PATs do not work for packages)"
	case "gcr", "artifact-registry":
		return fmt.Sprintf("gcloud auth configure-docker %s   (installs the gcloud credential helper for exactly this host)", hostOnly(host))
	case "acr":
		return fmt.Sprintf("az acr login --name %s", strings.SplitN(host, ".", 2)[0])
	case "gitlab":
		return fmt.Sprintf("echo \"$CI_JOB_TOKEN\" | docker login %s -u gitlab-ci-token --password-stdin   (outside CI: a token with read_registry/write_registry)", host)
	case "dockerhub":
		return "docker login   (username = your Docker ID, not your email; password = a personal access token dckr_pat_…)"
	}
	return fmt.Sprintf("docker login %s   (or: sleuth registry add %s --user USER --pass-stdin)", host, host)
}

func hostOnly(h string) string {
	if i := strings.IndexByte(h, '/'); i >= 0 {
		return h[:i]
	}
	return h
}

// fixes returns the remediation steps for a verdict.
func fixes(code, host string, r *Result) []string {
	who := "sleuth creds " + host
	switch code {
	case VerdictNoCredentials:
		return []string{
			"log in: " + loginFix(host),
			"see which credential sources were tried: " + who,
			"in CI, make sure the login step runs before this one and in the same job (credentials do not cross jobs or containers)",
		}
	case VerdictInvalid:
		f := []string{
			"the stored credential is wrong: log in again: " + loginFix(host),
			"check which source supplied it (" + r.CredentialSource + "): " + who,
		}
		switch provider(host) {
		case "dockerhub":
			f = append(f, "Docker Hub wants the Docker ID as username (not the email) and a personal access token as password")
		case "ghcr":
			f = append(f, "GHCR accepts classic PATs (read:packages / write:packages) and GITHUB_TOKEN; a revoked or regenerated PAT fails here")
		}
		return f
	case VerdictExpired:
		f := []string{"the credential or token has expired: get a fresh one: " + loginFix(host)}
		switch provider(host) {
		case "ecr":
			f = append(f, "ECR passwords last 12 hours: use docker-credential-ecr-login (credHelpers) instead of a stored password")
		case "gcr", "artifact-registry":
			f = append(f, "gcloud access tokens last 1 hour: use the gcloud credential helper instead of a stored oauth2accesstoken")
		case "acr":
			f = append(f, "ACR refresh tokens expire: run az acr login again in the job that pushes or pulls")
		default:
			f = append(f, "if a stale token is cached in config.json: docker logout "+host+" && docker login "+host)
		}
		return f
	case VerdictInsufficientScope:
		f := []string{"the credential is valid but lacks the rights for this request: use one with " + strings.Join(r.neededActions(), ",") + " on " + r.Repo}
		switch provider(host) {
		case "ghcr":
			f = append(f, "GHCR: a classic PAT needs write:packages to push; in Actions set `permissions: packages: write` and grant the repository access in the package's \"Manage Actions access\"")
		case "dockerhub":
			f = append(f, "Docker Hub: a read-only access token cannot push; you can only push to your own namespace or an organization you are a member of with write access")
		case "gitlab":
			f = append(f, "GitLab: the token needs write_registry (and the Developer role) to push")
		default:
			f = append(f, "check the repository name: pushing to a namespace you do not own is refused this way")
		}
		return f
	case VerdictDenied:
		f := []string{
			"the registry knows who you are and refuses this repository: check the account's permissions on " + orDash(r.Repo),
			"check the repository name: registries answer 'denied' for repositories that do not exist, to hide them",
		}
		switch provider(host) {
		case "ghcr":
			f = append(f, "GHCR: 'denied: denied' with a stale PAT even for public images: docker logout ghcr.io")
		case "artifact-registry", "gcr":
			f = append(f, "grant roles/artifactregistry.reader (pull) or roles/artifactregistry.writer (push) on the repository")
		case "ecr":
			f = append(f, "the IAM policy or repository policy must allow ecr:BatchGetImage/GetDownloadUrlForLayer (pull) or ecr:PutImage/InitiateLayerUpload (push)")
		}
		return f
	case VerdictNotFound:
		f := []string{"the credential works, but " + orDash(r.Repo) + " does not exist on " + host + " (or is hidden from this account): check the name"}
		if provider(host) == "dockerhub" {
			f = append(f, "Docker Hub official images live under library/ (library/alpine)")
		}
		return f
	case VerdictRateLimited:
		return []string{
			"wait for the window to reset (RateLimit-* headers give the window in seconds as w=…)",
			"authenticate: logged-in pulls get a higher limit: " + loginFix(host),
			"use a pull-through cache or mirror for CI",
		}
	case VerdictTLS:
		return []string{
			"if the registry uses a private CA: add it to the system trust store (/usr/local/share/ca-certificates + update-ca-certificates) or point SSL_CERT_FILE at it; for the Docker daemon: /etc/docker/certs.d/" + host + "/ca.crt",
			"if the server speaks plain HTTP on that port, say so: http://" + host + " (credentials are only sent over plain HTTP to loopback)",
			"for a one-off check only: --insecure (skips certificate verification)",
		}
	case VerdictDNS:
		return []string{
			"check the host name for typos",
			"check DNS, VPN or /etc/hosts; in CI, service containers are reached by their alias, not localhost",
		}
	case VerdictRefused:
		return []string{
			"check the port (registries listen on 443 for https, often 5000 for a local registry:2)",
			"check that the registry is running and listening on that address (in CI: the service container has started)",
		}
	case VerdictTimeout:
		return []string{
			"check HTTPS_PROXY / NO_PROXY and any firewall between you and " + host,
			"retry: the registry or the network may be slow",
		}
	case VerdictNotRegistry:
		return []string{
			"check the host: the OCI API lives at https://HOST/v2/ (Docker Hub's is registry-1.docker.io, given as docker.io)",
			"a registry served under a path prefix or a web UI host is not the API endpoint; use the host your docker login uses",
		}
	case VerdictPlainHTTP:
		return []string{"use https://" + host + "; credentials are never sent over plain HTTP except to loopback"}
	case VerdictServerError:
		return []string{"the registry failed on its side: retry later and check its status page"}
	case VerdictNetwork:
		return []string{"check connectivity to " + host + " (proxy, firewall, VPN)"}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "the repository"
	}
	return s
}
