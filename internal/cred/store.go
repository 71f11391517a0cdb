package cred

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Store is sleuth's own explicit credentials: an index file
// (<user config dir>/sleuth/credentials.json, mode 0600) holding, per registry host, the
// username and either the secret itself (plain text, protected only by the file's
// permissions) or the name of the Docker credential helper that holds it.
type Store struct {
	Path string
	env  Env
}

// StoreEntry is one registry in the store. It carries no secret.
type StoreEntry struct {
	Host     string `json:"host"`
	Username string `json:"username"`
	Helper   string `json:"helper,omitempty"` // credential helper suffix; "" when the secret is in the file
}

// Where says where the secret is: "docker-credential-X" or the file path.
func (e *StoreEntry) Where(s *Store) string {
	if e.Helper != "" {
		return helperPrefix + e.Helper
	}
	return s.Path
}

const storeVersion = 1

type storeFile struct {
	Version    int                    `json:"version"`
	Registries map[string]storeRecord `json:"registries"`
}

type storeRecord struct {
	Username string `json:"username"`
	Secret   string `json:"secret,omitempty"`
	Helper   string `json:"helper,omitempty"`
}

// lockTimeout is how long add/remove wait for another sleuth holding the store.
const lockTimeout = 10 * time.Second

// StorePath is where sleuth keeps explicit credentials.
func StorePath(env Env) string {
	env = env.WithDefaults()
	return filepath.Join(env.ConfigDir, "sleuth", "credentials.json")
}

// OpenStore returns the store; nothing is read until it is used.
func OpenStore(env Env) *Store {
	env = env.WithDefaults()
	return &Store{Path: StorePath(env), env: env}
}

func (s *Store) exists() bool {
	_, err := os.Stat(s.Path)
	return err == nil
}

// ErrCorruptStore marks a store file that does not parse. sleuth never overwrites it.
var ErrCorruptStore = errors.New("corrupted credential store")

type corruptError struct{ msg string }

func (e *corruptError) Error() string { return e.msg }
func (e *corruptError) Is(t error) bool {
	return t == ErrCorruptStore
}

// read loads the file; a missing file is an empty store.
func (s *Store) read() (*storeFile, error) {
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return &storeFile{Version: storeVersion, Registries: map[string]storeRecord{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading sleuth's credential store: %w", err)
	}
	return s.parse(data)
}

func (s *Store) parse(data []byte) (*storeFile, error) {
	corrupt := func(why string) error {
		return &corruptError{fmt.Sprintf("sleuth's credential store %s is corrupted: %s; it was left untouched: fix it, or move it away and add the credentials again", s.Path, why)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, corrupt("the file is empty")
	}
	var f storeFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			l, c := lineCol(data, max(se.Offset-1, 0))
			return nil, corrupt(fmt.Sprintf("line %d, column %d: %s", l, c, se.Error()))
		case errors.As(err, &te):
			l, c := lineCol(data, te.Offset)
			return nil, corrupt(fmt.Sprintf("line %d, column %d: %q must be a JSON %s", l, c, te.Field, te.Type))
		case errors.Is(err, io.ErrUnexpectedEOF):
			l, _ := lineCol(data, int64(len(bytes.TrimRight(data, " \t\r\n"))))
			return nil, corrupt(fmt.Sprintf("line %d: unexpected end of file (truncated?)", l))
		default:
			return nil, corrupt(strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if dec.More() {
		return nil, corrupt("trailing data after the JSON object")
	}
	if f.Version != storeVersion {
		return nil, corrupt(fmt.Sprintf("version %d, this sleuth reads version %d", f.Version, storeVersion))
	}
	if f.Registries == nil {
		f.Registries = map[string]storeRecord{}
	}
	for h, r := range f.Registries {
		if r.Secret == "" && r.Helper == "" {
			return nil, corrupt(fmt.Sprintf("entry %q has neither a secret nor a helper", h))
		}
	}
	return &f, nil
}

// List returns the entries sorted by host. It never returns secrets.
func (s *Store) List() ([]StoreEntry, error) {
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	out := make([]StoreEntry, 0, len(f.Registries))
	for _, h := range sortedKeys(f.Registries) {
		r := f.Registries[h]
		out = append(out, StoreEntry{Host: h, Username: r.Username, Helper: r.Helper})
	}
	return out, nil
}

// Entry returns the entry for host (normalized), or nil.
func (s *Store) Entry(host string) (*StoreEntry, error) {
	if !s.exists() {
		return nil, nil
	}
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	h := NormalizeHost(host)
	r, ok := f.Registries[h]
	if !ok {
		return nil, nil
	}
	return &StoreEntry{Host: h, Username: r.Username, Helper: r.Helper}, nil
}

// secret fetches the credential for an entry: from the file, or from its helper.
func (s *Store) secret(ctx context.Context, host string, e *StoreEntry) (*Credential, error) {
	if e.Helper == "" {
		f, err := s.read()
		if err != nil {
			return nil, err
		}
		r := f.Registries[e.Host]
		return &Credential{Username: r.Username, Secret: r.Secret}, nil
	}
	h := s.env.findHelper(e.Helper)
	if h.Path == "" {
		return nil, fmt.Errorf("the credentials for %s are in %s, which is not on PATH", host, h.Name())
	}
	c, ok, err := h.Get(ctx, AuthKey(e.Host))
	if err != nil || !ok {
		return nil, err
	}
	return c, nil
}

// StoreMode chooses where Add puts the secret.
type StoreMode string

// Store modes.
const (
	StoreAuto   StoreMode = "auto"   // the credsStore helper of config.json when it works, else the file
	StoreHelper StoreMode = "helper" // the credsStore helper, or fail
	StoreFile   StoreMode = "file"   // sleuth's file
)

// AddResult says where Add put the credentials.
type AddResult struct {
	Host     string
	Helper   string // helper suffix when stored there
	Path     string // the store file (index, or secret too)
	Replaced bool
	Notes    []string // things the user should know (redacted)
}

// Add stores user and secret for host, replacing an existing entry.
func (s *Store) Add(ctx context.Context, host, user, secret string, mode StoreMode) (*AddResult, error) {
	h := NormalizeHost(host)
	if err := validHost(host, h); err != nil {
		return nil, err
	}
	if user == "" {
		return nil, errors.New("empty username")
	}
	if secret == "" {
		return nil, errors.New("empty password")
	}
	if mode == "" {
		mode = StoreAuto
	}
	res := &AddResult{Host: h, Path: s.Path}

	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", filepath.Dir(s.Path), unwrapPathErr(err))
	}
	unlock, err := lockFile(s.Path+".lock", lockTimeout)
	if err != nil {
		return nil, err
	}
	defer unlock()
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	old, replaced := f.Registries[h]
	res.Replaced = replaced

	var hp *helper
	switch mode {
	case StoreFile:
	case StoreAuto, StoreHelper:
		dc := loadConfig(DockerConfigPath(s.env))
		switch {
		case dc.Err != nil:
			if mode == StoreHelper {
				return nil, fmt.Errorf("cannot read the credential helper setting: %v", dc.Err)
			}
			res.Notes = append(res.Notes, fmt.Sprintf("could not read %s to find a credential helper (%v)", dc.Path, dc.Err))
		case dc.File == nil || dc.File.CredentialsStore == "":
			if mode == StoreHelper {
				return nil, fmt.Errorf("no credential helper configured: %s has no \"credsStore\"", describePath(dc))
			}
		default:
			hp = s.env.findHelper(dc.File.CredentialsStore)
			if hp.Path == "" {
				if mode == StoreHelper {
					return nil, fmt.Errorf("credsStore in %s is %q but %s is not on PATH", dc.Path, hp.Suffix, hp.Name())
				}
				res.Notes = append(res.Notes, fmt.Sprintf("credsStore in %s is %q but %s is not on PATH, so the credentials go to sleuth's file instead", dc.Path, hp.Suffix, hp.Name()))
				hp = nil
			}
		}
	default:
		return nil, fmt.Errorf("unknown store %q: use auto, helper or file", mode)
	}

	if hp != nil {
		if err := hp.Store(ctx, AuthKey(h), user, secret); err != nil {
			return nil, fmt.Errorf("%v; nothing was saved (use --store file to keep the credentials in sleuth's plain-text file instead)", err)
		}
		res.Helper = hp.Suffix
		f.Registries[h] = storeRecord{Username: user, Helper: hp.Suffix}
		res.Notes = append(res.Notes, fmt.Sprintf("%s is the credsStore of your Docker config, so Docker tools will use these credentials for %s too", hp.Name(), h))
	} else {
		f.Registries[h] = storeRecord{Username: user, Secret: secret}
		if replaced && old.Helper != "" {
			res.Notes = append(res.Notes, fmt.Sprintf("the previous credentials for %s are still in %s; remove them there if they are stale", h, helperPrefix+old.Helper))
		}
	}
	if err := s.write(f); err != nil {
		return nil, err
	}
	for i := range res.Notes {
		res.Notes[i] = cleanOutput(res.Notes[i])
	}
	return res, nil
}

// Remove deletes host's entry (and erases it from its helper). It returns the removed entry.
func (s *Store) Remove(ctx context.Context, host string) (*StoreEntry, []string, error) {
	h := NormalizeHost(host)
	if err := validHost(host, h); err != nil {
		return nil, nil, err
	}
	if !s.exists() {
		return nil, nil, nil
	}
	unlock, err := lockFile(s.Path+".lock", lockTimeout)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	f, err := s.read()
	if err != nil {
		return nil, nil, err
	}
	r, ok := f.Registries[h]
	if !ok {
		return nil, nil, nil
	}
	var notes []string
	if r.Helper != "" {
		hp := s.env.findHelper(r.Helper)
		if hp.Path == "" {
			notes = append(notes, fmt.Sprintf("%s is not on PATH, so its copy of the credentials for %s could not be erased", hp.Name(), h))
		} else if err := hp.Erase(ctx, AuthKey(h)); err != nil {
			return nil, nil, fmt.Errorf("%v; the entry was kept", err)
		}
	}
	delete(f.Registries, h)
	if err := s.write(f); err != nil {
		return nil, nil, err
	}
	return &StoreEntry{Host: h, Username: r.Username, Helper: r.Helper}, notes, nil
}

// write replaces the file atomically: temp file in the same directory, 0600, fsync, rename.
func (s *Store) write(f *storeFile) error {
	f.Version = storeVersion
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	dir := filepath.Dir(s.Path)
	tmp, err := os.CreateTemp(dir, ".credentials-*.tmp")
	if err != nil {
		return fmt.Errorf("writing sleuth's credential store: %w", err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		_ = tmp.Close()
		_ = os.Remove(name)
		return fmt.Errorf("writing sleuth's credential store: %w", err)
	}
	if runtime.GOOS != "windows" {
		if err := tmp.Chmod(0o600); err != nil {
			return fail(err)
		}
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("writing sleuth's credential store: %w", err)
	}
	if err := os.Rename(name, s.Path); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("writing sleuth's credential store: %w", err)
	}
	syncDir(dir)
	return nil
}

// PermissionProblem reports a store file readable by other users.
func (s *Store) PermissionProblem() string {
	if runtime.GOOS == "windows" {
		return ""
	}
	fi, err := os.Stat(s.Path)
	if err != nil {
		return ""
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Sprintf("%s is readable by other users (mode %04o); run: chmod 600 %s", s.Path, m, s.Path)
	}
	return ""
}

func validHost(in, h string) error {
	if h == "" || strings.ContainsAny(h, " \t\r\n\"'\\") || strings.Contains(h, "@") {
		return fmt.Errorf("%q is not a registry host (want e.g. ghcr.io or registry.example.com:5000)", in)
	}
	return nil
}
