// Package cred resolves registry credentials the way Docker-compatible tools do, and
// explains which source answered and what is wrong with the others. Nothing it returns for
// output (Source, Problem.Message, Describe) ever contains a secret.
//
// The chain, in Docker's order: DOCKER_AUTH_CONFIG, credHelpers[host], credsStore (or the
// store the docker CLI detects when config.json names none), auths in config.json; then
// the containers auth.json files (podman, skopeo, buildah), sleuth's own store, anonymous.
package cred

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	"github.com/docker/cli/cli/config/types"

	"github.com/sleuth-ci/sleuth/internal/redact"
)

// Env is what the resolver reads: environment and files (inject for tests).
type Env struct {
	Getenv        func(string) string
	HomeDir       string
	ConfigDir     string // user config dir for sleuth's store
	HelperTimeout time.Duration
	LookPath      func(string) (string, error)
	Now           func() time.Time // clock for token expiry; default time.Now
}

// DefaultHelperTimeout bounds every credential-helper call.
const DefaultHelperTimeout = 10 * time.Second

// WithDefaults fills the unset fields from getenv (HOME, XDG_CONFIG_HOME, ...), the same way
// os.UserHomeDir and os.UserConfigDir would, but through the injected environment.
func (e Env) WithDefaults() Env {
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.HomeDir == "" {
		e.HomeDir = homeDir(e.Getenv)
	}
	if e.ConfigDir == "" {
		e.ConfigDir = userConfigDir(e.Getenv, e.HomeDir)
	}
	if e.HelperTimeout <= 0 {
		e.HelperTimeout = DefaultHelperTimeout
	}
	if e.LookPath == nil {
		e.LookPath = exec.LookPath
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	return e
}

func homeDir(getenv func(string) string) string {
	switch runtime.GOOS {
	case "windows":
		if h := getenv("USERPROFILE"); h != "" {
			return h
		}
	case "plan9":
		if h := getenv("home"); h != "" {
			return h
		}
	default:
		if h := getenv("HOME"); h != "" {
			return h
		}
	}
	h, _ := os.UserHomeDir()
	return h
}

func userConfigDir(getenv func(string) string, home string) string {
	switch runtime.GOOS {
	case "windows":
		if d := getenv("AppData"); d != "" {
			return d
		}
		return filepath.Join(home, "AppData", "Roaming")
	case "darwin", "ios":
		return filepath.Join(home, "Library", "Application Support")
	case "plan9":
		return filepath.Join(home, "lib")
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home, ".config")
}

// Credential is a resolved credential. Never print its fields; use Describe.
type Credential struct {
	Username      string
	Secret        string
	IdentityToken string
	RegistryToken string
}

// Problem is something wrong (or worth knowing) about the credentials for a host.
type Problem struct {
	Kind    string `json:"kind"`
	Message string `json:"message"` // redacted; safe to print
}

// Problem kinds.
const (
	KindMalformedConfig  = "malformed-config"   // a config file or DOCKER_AUTH_CONFIG does not parse
	KindHelperMissing    = "helper-missing"     // helper configured, binary not on PATH
	KindHelperFailed     = "helper-failed"      // helper ran and failed
	KindHelperTimeout    = "helper-timeout"     // helper did not answer in time
	KindShadowedAuths    = "shadowed-auths"     // an auths entry that a helper hides
	KindKeyMismatch      = "key-mismatch"       // an entry for this host under a key Docker does not look up
	KindEmptyEntry       = "empty-entry"        // an auths marker with no helper behind it
	KindTokenExpired     = "token-expired"      // the credential is a JWT past its exp, or not yet valid
	KindStoreUnreadable  = "store-unreadable"   // sleuth's own store is corrupted or unreadable
	KindInsecureFile     = "insecure-file"      // a credentials file readable by other users
	KindKeyFormat        = "key-format"         // works with Docker, not with every tool (info)
	KindIdentityToken    = "identity-token"     // an OAuth2 refresh/identity token (info)
	KindDefaultStore     = "default-store"      // the docker CLI picked a store by itself (info)
	KindOtherToolsDiffer = "other-tools-differ" // podman/skopeo or Docker would answer differently (info)
	KindShadowed         = "shadowed"           // a lower-precedence entry that is not used (info)
	KindPlainText        = "plain-text"         // the secret sits in a file, only base64-encoded (info)
)

// Serious reports whether the problem breaks or misdirects authentication, as opposed to
// information about how the answer was reached.
func (p Problem) Serious() bool {
	switch p.Kind {
	case KindKeyFormat, KindIdentityToken, KindDefaultStore, KindOtherToolsDiffer, KindShadowed, KindPlainText, KindInsecureFile:
		return false
	}
	return true
}

// Resolution says which source answered for a host.
type Resolution struct {
	Host       string // normalized registry host (docker.io for Docker Hub)
	Source     string // "DOCKER_AUTH_CONFIG", "credHelpers (docker-credential-gcloud)", ..., "anonymous"
	ConfigPath string
	Credential *Credential // nil when anonymous
	Problems   []Problem
}

// Anonymous is the Source when nothing answered.
const Anonymous = "anonymous"

func (r *Resolution) add(kind, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Kind: kind, Message: fmt.Sprintf(format, args...)})
}

// Docker Hub's names and the key Docker stores its credentials under.
const (
	DockerHub    = "docker.io"
	DockerHubKey = "https://index.docker.io/v1/"
)

func isDockerHubHost(h string) bool {
	switch strings.ToLower(h) {
	case "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return true
	}
	return false
}

// NormalizeHost turns what a user or a config key names (a host, host:port, or a URL like
// https://index.docker.io/v1/) into the registry host: lower case, no scheme or path,
// docker.io for Docker Hub. Namespaced keys (quay.io/org) reduce to their host.
func NormalizeHost(s string) string {
	h := credentials.ConvertToHostname(strings.TrimSpace(s))
	h = strings.ToLower(h)
	if isDockerHubHost(h) {
		return DockerHub
	}
	return h
}

// AuthKey is the key Docker looks the host up under: https://index.docker.io/v1/ for Docker
// Hub, the host itself otherwise.
func AuthKey(host string) string {
	if NormalizeHost(host) == DockerHub {
		return DockerHubKey
	}
	return host
}

// DockerConfigPath is $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
func DockerConfigPath(env Env) string {
	env = env.WithDefaults()
	if d := env.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	return filepath.Join(env.HomeDir, ".docker", "config.json")
}

// ContainersAuthPaths lists the containers auth.json files in the order podman, skopeo and
// buildah read them: REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json (or
// /run/containers/UID/auth.json), $XDG_CONFIG_HOME/containers/auth.json.
func ContainersAuthPaths(env Env) []string {
	env = env.WithDefaults()
	var ps []string
	if f := env.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		ps = append(ps, f)
	}
	if runtime.GOOS == "linux" {
		if d := env.Getenv("XDG_RUNTIME_DIR"); d != "" {
			ps = append(ps, filepath.Join(d, "containers", "auth.json"))
		} else {
			ps = append(ps, filepath.Join("/run/containers", strconv.Itoa(os.Getuid()), "auth.json"))
		}
	}
	cfg := env.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(env.HomeDir, ".config")
	}
	ps = append(ps, filepath.Join(cfg, "containers", "auth.json"))
	return ps
}

// resolver holds what one Resolve (or Hosts) call has loaded.
type resolver struct {
	env        Env
	docker     *loadedConfig
	containers []*loadedConfig
	envAuths   map[string]types.AuthConfig // DOCKER_AUTH_CONFIG, parsed
	envErr     error
	envSet     bool
	store      *Store
}

func newResolver(env Env) *resolver {
	env = env.WithDefaults()
	r := &resolver{env: env}
	r.docker = loadConfig(DockerConfigPath(env))
	for _, p := range ContainersAuthPaths(env) {
		if lc := loadConfig(p); lc.Exists {
			r.containers = append(r.containers, lc)
		}
	}
	if v := env.Getenv(configfile.DockerEnvConfigKey); v != "" {
		r.envSet = true
		r.envAuths, r.envErr = ParseDockerAuthConfig(v)
	}
	r.store = OpenStore(env)
	return r
}

// ParseDockerAuthConfig parses DOCKER_AUTH_CONFIG with docker/cli's rules: one JSON object,
// only {"auths": {KEY: {"auth": base64(user:pat)}}}, auth required. Errors never quote a value.
func ParseDockerAuthConfig(v string) (map[string]types.AuthConfig, error) {
	var env struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("DOCKER_AUTH_CONFIG is not valid JSON at byte %d: %s", se.Offset, se.Error())
		}
		if strings.Contains(err.Error(), "unknown field") {
			return nil, fmt.Errorf("DOCKER_AUTH_CONFIG: %v (only {\"auths\":{HOST:{\"auth\":base64(user:token)}}} is allowed; credHelpers, credsStore, username and password are not)", err)
		}
		return nil, fmt.Errorf("DOCKER_AUTH_CONFIG: %v", err)
	}
	if dec.More() {
		return nil, errors.New("DOCKER_AUTH_CONFIG does not support more than one JSON object")
	}
	// Reuse docker/cli's decoding of the auth field.
	raw := map[string]any{"auths": env.Auths}
	b, _ := json.Marshal(raw)
	for k, a := range env.Auths {
		if a.Auth == "" {
			return nil, fmt.Errorf("DOCKER_AUTH_CONFIG is missing key `auth` for %s", k)
		}
	}
	cf := configfile.New("")
	if err := cf.LoadFromReader(strings.NewReader(string(b))); err != nil {
		if key, why := badAuthKey(b); key != "" {
			return nil, fmt.Errorf("DOCKER_AUTH_CONFIG: auths[%q].auth %s", key, why)
		}
		return nil, fmt.Errorf("DOCKER_AUTH_CONFIG: %v", err)
	}
	return cf.AuthConfigs, nil
}

// Resolve finds the credential Docker-compatible tools would use for host, and what is
// wrong along the way. The error is only for a cancelled context or an empty host.
func Resolve(ctx context.Context, host string, env Env) (*Resolution, error) {
	if strings.TrimSpace(host) == "" {
		return nil, errors.New("empty registry host")
	}
	r := newResolver(env)
	return r.resolve(ctx, host)
}

func (rv *resolver) resolve(ctx context.Context, host string) (*Resolution, error) {
	h := NormalizeHost(host)
	key := AuthKey(h)
	res := &Resolution{Host: h}
	found := rv.fromEnv(res, key)
	if !found {
		var err error
		found, err = rv.fromDocker(ctx, res, key)
		if err != nil {
			return nil, err
		}
	} else {
		rv.noteShadowedByEnv(res, key)
	}
	if !found {
		found = rv.fromContainers(ctx, res)
	}
	storeFound, err := rv.fromStore(ctx, res, !found)
	if err != nil {
		return nil, err
	}
	found = found || storeFound
	if !found {
		res.Source = Anonymous
		res.ConfigPath = ""
		res.Credential = nil
	}
	if res.Credential != nil {
		rv.inspectCredential(res)
	}
	for i := range res.Problems {
		res.Problems[i].Message = redact.String(res.Problems[i].Message)
	}
	return res, ctx.Err()
}

// fromEnv: DOCKER_AUTH_CONFIG, exact key only (docker/cli's memory store).
func (rv *resolver) fromEnv(res *Resolution, key string) bool {
	if !rv.envSet {
		return false
	}
	if rv.envErr != nil {
		res.add(KindMalformedConfig, "%v; the docker CLI prints \"Failed to create credential store from DOCKER_AUTH_CONFIG\" and ignores it", rv.envErr)
		return false
	}
	if ac, ok := rv.envAuths[key]; ok {
		res.Source = "DOCKER_AUTH_CONFIG"
		res.ConfigPath = ""
		res.Credential = fromAuthConfig(ac)
		return true
	}
	for _, k := range sortedKeys(rv.envAuths) {
		if NormalizeHost(k) == res.Host {
			res.add(KindKeyMismatch, "DOCKER_AUTH_CONFIG has key %q, but Docker looks %s up by the exact key %q (DOCKER_AUTH_CONFIG keys are not normalized); rename the key", k, res.Host, key)
		}
	}
	return false
}

func (rv *resolver) noteShadowedByEnv(res *Resolution, key string) {
	cf := rv.docker.File
	if cf == nil {
		return
	}
	if s := configuredHelper(cf, key); s != "" {
		res.add(KindShadowed, "DOCKER_AUTH_CONFIG takes precedence over docker-credential-%s configured in %s", s, rv.docker.Path)
	} else if _, ok := lookupAuths(cf, key); ok {
		res.add(KindShadowed, "DOCKER_AUTH_CONFIG takes precedence over the auths entry in %s", rv.docker.Path)
	}
}

func configuredHelper(cf *configfile.ConfigFile, key string) string {
	if s, ok := cf.CredentialHelpers[key]; ok {
		return s
	}
	return cf.CredentialsStore
}

// lookupAuths is docker/cli's file-store lookup: the exact key, else any key whose hostname
// part equals the key. It returns the key that answered.
func lookupAuths(cf *configfile.ConfigFile, key string) (string, bool) {
	if _, ok := cf.AuthConfigs[key]; ok {
		return key, true
	}
	for _, k := range sortedKeys(cf.AuthConfigs) {
		if credentials.ConvertToHostname(k) == key {
			return k, true
		}
	}
	return "", false
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func isEmptyAuth(ac types.AuthConfig) bool {
	return ac.Username == "" && ac.Password == "" && ac.IdentityToken == "" && ac.RegistryToken == "" && ac.Auth == ""
}

func fromAuthConfig(ac types.AuthConfig) *Credential {
	return &Credential{Username: ac.Username, Secret: ac.Password, IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}
}

// fromDocker walks config.json: credHelpers[key], credsStore (or the detected default), auths.
func (rv *resolver) fromDocker(ctx context.Context, res *Resolution, key string) (bool, error) {
	dc := rv.docker
	if dc.Err != nil {
		res.add(KindMalformedConfig, "%v", dc.Err)
		return false, nil
	}
	cf := dc.File
	if cf == nil {
		cf = configfile.New(dc.Path) // missing file: the docker CLI may still detect a store
	}
	rv.keyMismatches(res, cf, key, dc.Path)

	suffix, how := "", ""
	if s, ok := cf.CredentialHelpers[key]; ok {
		suffix, how = s, "credHelpers"
	} else if cf.CredentialsStore != "" {
		suffix, how = cf.CredentialsStore, "credsStore"
	} else if !cf.ContainsAuth() {
		if s := rv.detectDefaultStore(); s != "" {
			suffix, how = s, "credsStore"
			res.add(KindDefaultStore, "%s names no credential store, so the docker CLI uses docker-credential-%s because it is on PATH (go-containerregistry and oras do not); `docker login` will store there too", describePath(dc), s)
		}
	}
	authKey, hasAuths := lookupAuths(cf, key)
	if suffix != "" {
		if strings.ContainsAny(suffix, `/\`) {
			res.add(KindMalformedConfig, "%s: %s value %q is not a helper name", dc.Path, how, suffix)
			return false, nil
		}
		h := rv.env.findHelper(suffix)
		res.ConfigPath = dc.Path
		what := how
		if how == "credHelpers" {
			what = fmt.Sprintf("credHelpers[%q]", key)
		}
		if h.Path == "" {
			fix := fmt.Sprintf("install %s, or remove \"credsStore\" from %s", h.Name(), dc.Path)
			if how == "credHelpers" {
				fix = fmt.Sprintf("install %s, or remove %q from credHelpers in %s", h.Name(), key, dc.Path)
			} else if suffix == "desktop" || suffix == "desktop.exe" {
				fix = fmt.Sprintf("this is usually a leftover from Docker Desktop: remove \"credsStore\": %q from %s (or start Docker Desktop)", suffix, dc.Path)
			}
			res.add(KindHelperMissing, "%s is %q but %s is not on PATH; Docker fails for this registry (error getting credentials, \"executable file not found in $PATH\"). Fix: %s", what, suffix, h.Name(), fix)
			if hasAuths && !isEmptyAuth(cf.AuthConfigs[authKey]) {
				res.add(KindShadowedAuths, "auths[%q] in %s is ignored: %s %q takes precedence for %s", authKey, dc.Path, how, suffix, res.Host)
			}
			return false, nil
		}
		c, ok, err := h.Get(ctx, key)
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			var he *HelperError
			kind := KindHelperFailed
			if errors.As(err, &he) && he.TimedOut {
				kind = KindHelperTimeout
			}
			res.add(kind, "%s (configured by %s in %s); Docker fails for this registry%s", err.Error(), how, dc.Path, helperHint(err.Error()))
			if hasAuths && !isEmptyAuth(cf.AuthConfigs[authKey]) {
				res.add(KindShadowedAuths, "auths[%q] in %s is ignored: %s %q takes precedence for %s", authKey, dc.Path, how, suffix, res.Host)
			}
			return false, nil
		}
		if !ok {
			if hasAuths && !isEmptyAuth(cf.AuthConfigs[authKey]) {
				res.add(KindShadowedAuths, "auths[%q] in %s holds a credential, but Docker never reads it: %s %q takes precedence and has no credentials for %s (run `docker login %s` to store them in the helper, or remove %s)", authKey, dc.Path, how, suffix, key, loginArg(res.Host), what)
			}
			return false, nil
		}
		res.Source = fmt.Sprintf("%s (%s)", how, h.Name())
		res.Credential = c
		if hasAuths && !isEmptyAuth(cf.AuthConfigs[authKey]) {
			res.add(KindShadowedAuths, "auths[%q] in %s is ignored: %s %q answers first", authKey, dc.Path, how, suffix)
		}
		return true, nil
	}
	if !hasAuths {
		return false, nil
	}
	ac := cf.AuthConfigs[authKey]
	if isEmptyAuth(ac) {
		res.add(KindEmptyEntry, "auths[%q] in %s is empty (a marker left by a credential helper login), and no helper is configured now: Docker sends no credentials; run `docker login %s` again", authKey, dc.Path, loginArg(res.Host))
		return false, nil
	}
	res.Source = fmt.Sprintf("auths (%s)", dc.Path)
	res.ConfigPath = dc.Path
	res.Credential = fromAuthConfig(ac)
	if authKey != key {
		res.add(KindKeyFormat, "auths key %q works with docker, oras and go-containerregistry, but regclient ignores keys that are not plain hostnames; prefer %q", authKey, key)
	}
	if ac.Password != "" {
		res.add(KindPlainText, "the secret is stored unencrypted (base64) in %s; a credential helper would keep it out of the file", dc.Path)
	}
	checkFileMode(res, dc.Path)
	return true, nil
}

func describePath(lc *loadedConfig) string {
	if lc.Exists {
		return lc.Path
	}
	return lc.Path + " (missing)"
}

func loginArg(host string) string {
	if host == DockerHub {
		return ""
	}
	return host
}

func helperHint(msg string) string {
	switch {
	case strings.Contains(msg, "D-Bus") || strings.Contains(msg, "DBUS") || strings.Contains(msg, "dbus"):
		return ". No D-Bus session (a headless runner?): the secretservice helper needs a desktop keyring; remove the helper from the Docker config, or use DOCKER_AUTH_CONFIG on CI"
	case strings.Contains(msg, "pass not initialized") || strings.Contains(msg, "password store is empty"):
		return ". The pass store is not initialized: run `pass init GPG-ID`, or remove the helper from the Docker config"
	}
	return ""
}

// detectDefaultStore mirrors credentials.DetectDefaultStore with the injected LookPath.
func (rv *resolver) detectDefaultStore() string {
	var s string
	switch runtime.GOOS {
	case "linux":
		s = "secretservice"
		if _, err := rv.env.LookPath("pass"); err == nil {
			s = "pass"
		}
	case "darwin":
		s = "osxkeychain"
	case "windows":
		s = "wincred"
	default:
		return ""
	}
	if _, err := rv.env.LookPath(helperPrefix + s); err != nil {
		return ""
	}
	return s
}

// keyMismatches reports entries for this host under keys Docker does not look up.
func (rv *resolver) keyMismatches(res *Resolution, cf *configfile.ConfigFile, key, path string) {
	for _, k := range sortedKeys(cf.CredentialHelpers) {
		if k != key && NormalizeHost(k) == res.Host {
			res.add(KindKeyMismatch, "credHelpers key %q in %s is never used for %s: Docker looks helpers up by the exact key %q; rename it", k, path, res.Host, key)
		}
	}
	for _, k := range sortedKeys(cf.AuthConfigs) {
		if NormalizeHost(k) != res.Host || k == key || credentials.ConvertToHostname(k) == key {
			continue
		}
		if res.Host == DockerHub {
			res.add(KindKeyMismatch, "auths key %q in %s is never used for Docker Hub: Docker stores and looks up Docker Hub credentials under %q; rename the key (or run `docker login` again)", k, path, DockerHubKey)
		} else {
			res.add(KindKeyMismatch, "auths key %q in %s does not match %s exactly (case or port differ); Docker will not use it: rename the key to %q", k, path, res.Host, key)
		}
	}
}

// fromContainers: the containers auth.json files, for tools like podman and skopeo.
func (rv *resolver) fromContainers(ctx context.Context, res *Resolution) bool {
	for _, lc := range rv.containers {
		if lc.Err != nil {
			res.add(KindMalformedConfig, "%v (podman, skopeo and buildah read this file)", lc.Err)
			continue
		}
		cf := lc.File
		if cf.CredentialsStore != "" {
			res.add(KindOtherToolsDiffer, "%s sets credsStore %q, which podman, skopeo and buildah ignore (they read only auths and credHelpers)", lc.Path, cf.CredentialsStore)
		}
		for _, k := range sortedKeys(cf.CredentialHelpers) {
			if NormalizeHost(k) != res.Host {
				continue
			}
			h := rv.env.findHelper(cf.CredentialHelpers[k])
			if h.Path == "" {
				res.add(KindHelperMissing, "credHelpers[%q] in %s is %q but %s is not on PATH", k, lc.Path, cf.CredentialHelpers[k], h.Name())
				continue
			}
			c, ok, err := h.Get(ctx, k)
			if err != nil {
				kind := KindHelperFailed
				var he *HelperError
				if errors.As(err, &he) && he.TimedOut {
					kind = KindHelperTimeout
				}
				res.add(kind, "%s (configured in %s)", err.Error(), lc.Path)
				continue
			}
			if ok {
				res.Source = fmt.Sprintf("credHelpers (%s, %s)", h.Name(), lc.Path)
				res.ConfigPath = lc.Path
				res.Credential = c
				rv.noteDockerUnaware(res, lc.Path)
				return true
			}
		}
		for _, k := range sortedKeys(cf.AuthConfigs) {
			if NormalizeHost(k) != res.Host {
				continue
			}
			ac := cf.AuthConfigs[k]
			if isEmptyAuth(ac) {
				continue
			}
			res.Source = fmt.Sprintf("auths (%s)", lc.Path)
			res.ConfigPath = lc.Path
			res.Credential = fromAuthConfig(ac)
			rv.noteDockerUnaware(res, lc.Path)
			checkFileMode(res, lc.Path)
			return true
		}
	}
	return false
}

func (rv *resolver) noteDockerUnaware(res *Resolution, path string) {
	res.add(KindOtherToolsDiffer, "the docker CLI does not read %s (only %s): docker would go anonymous for %s, while podman, skopeo and buildah use this entry", path, rv.docker.Path, res.Host)
}

// fromStore: sleuth's explicit credentials. When use is false a Docker source already
// answered, and an entry here is only reported as shadowed.
func (rv *resolver) fromStore(ctx context.Context, res *Resolution, use bool) (bool, error) {
	e, err := rv.store.Entry(res.Host)
	if err != nil {
		res.add(KindStoreUnreadable, "%v", err)
		return false, nil
	}
	if e == nil {
		return false, nil
	}
	if !use {
		if e.Helper != "" && strings.Contains(res.Source, helperPrefix+e.Helper) {
			return false, nil // the same helper entry answered through Docker's chain
		}
		res.add(KindShadowed, "sleuth's store also has %s (user %s, %s) but it is not used: %s answers first", res.Host, safeUser(e.Username), e.Where(rv.store), res.Source)
		return false, nil
	}
	c, err := rv.store.secret(ctx, res.Host, e)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		kind := KindHelperFailed
		var he *HelperError
		if errors.As(err, &he) && he.TimedOut {
			kind = KindHelperTimeout
		}
		res.add(kind, "sleuth store: %v", err)
		return false, nil
	}
	if c == nil {
		res.add(KindStoreUnreadable, "sleuth's store lists %s in %s, but the helper has no credentials for it; run `sleuth registry add %s` again", res.Host, e.Where(rv.store), res.Host)
		return false, nil
	}
	res.Source = fmt.Sprintf("sleuth store (%s)", e.Where(rv.store))
	res.ConfigPath = rv.store.Path
	res.Credential = c
	if e.Helper == "" {
		checkFileMode(res, rv.store.Path)
	}
	return true, nil
}

func checkFileMode(res *Resolution, path string) {
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		res.add(KindInsecureFile, "%s holds a secret and is readable by other users (mode %04o); run: chmod 600 %s", path, m, path)
	}
}

// inspectCredential adds what the credential's shape tells: identity tokens, expired JWTs.
func (rv *resolver) inspectCredential(res *Resolution) {
	c := res.Credential
	now := rv.env.Now()
	if c.IdentityToken != "" {
		res.add(KindIdentityToken, "the credential is an identity (OAuth2 refresh) token: clients exchange it at the registry's token endpoint (POST grant_type=refresh_token); tools that only do Basic auth cannot use it")
	}
	for _, t := range []struct{ what, v string }{{"password", c.Secret}, {"identity token", c.IdentityToken}, {"registry token", c.RegistryToken}} {
		if t.v == "" || !LooksLikeJWT(t.v) {
			continue
		}
		j, _ := DecodeJWT(t.v)
		switch {
		case j.Expired(now):
			res.add(KindTokenExpired, "the %s is a JWT that expired %s (%s); log in again", t.what, relative(*j.ExpiresAt, now), j.ExpiresAt.Format(time.RFC3339))
		case j.NotYetValid(now):
			res.add(KindTokenExpired, "the %s is a JWT not valid before %s (%s): is the clock wrong?", t.what, j.NotBefore.Format(time.RFC3339), relative(*j.NotBefore, now))
		}
	}
}

// Describe says what the credential is without revealing it, e.g.
// "user alice, password (24 chars)" or "identity token (JWT, 812 chars)".
func (c *Credential) Describe() string {
	if c == nil {
		return "none"
	}
	var parts []string
	if c.Username != "" && c.Username != "<token>" {
		parts = append(parts, "user "+safeUser(c.Username))
	}
	if c.Secret != "" {
		parts = append(parts, "password ("+secretShape(c.Secret)+")")
	}
	if c.IdentityToken != "" {
		parts = append(parts, "identity token ("+secretShape(c.IdentityToken)+")")
	}
	if c.RegistryToken != "" {
		parts = append(parts, "registry token ("+secretShape(c.RegistryToken)+")")
	}
	if len(parts) == 0 {
		return "no secret"
	}
	return strings.Join(parts, ", ")
}

// SecretKind is the kind of the credential's main secret ("" when unknown).
func (c *Credential) SecretKind() string {
	for _, v := range []string{c.Secret, c.IdentityToken, c.RegistryToken} {
		if v != "" {
			if k := Classify(v); k.ID != "" {
				return k.Name
			}
			return ""
		}
	}
	return ""
}

func secretShape(s string) string {
	k := Classify(s)
	switch {
	case k.ID == "jwt":
		return fmt.Sprintf("JWT, %d chars", len(s))
	case k.Malformed:
		return fmt.Sprintf("%d chars, %s prefix but malformed", len(s), k.Name)
	case k.ID != "":
		return fmt.Sprintf("%d chars, %s", len(s), k.Name)
	}
	return fmt.Sprintf("%d chars", len(s))
}

// safeUser prints a username unless it looks like a secret itself.
func safeUser(u string) string {
	if k := Classify(u); k.ID != "" {
		return fmt.Sprintf("(hidden: the username looks like a %s, %d chars)", k.Name, len(u))
	}
	r := redact.String(u)
	if r != u {
		return fmt.Sprintf("(hidden: %d chars)", len(u))
	}
	if len(u) > 64 {
		return fmt.Sprintf("(hidden: %d chars)", len(u))
	}
	return strconv.Quote(u)[1 : len(strconv.Quote(u))-1]
}

// SafeUsername is the username as it may be printed: quoted characters escaped, and hidden
// when it looks like a secret itself (a token pasted into the username field).
func SafeUsername(u string) string { return safeUser(u) }
