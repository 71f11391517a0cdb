package cred

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestStoreFileRoundTrip(t *testing.T) {
	te := newTestEnv(t)
	ctx := context.Background()
	st := OpenStore(te.env())
	if want := filepath.Join(te.home, ".config", "sleuth", "credentials.json"); st.Path != want {
		t.Fatalf("Path = %s, want %s", st.Path, want)
	}
	res, err := st.Add(ctx, "https://GHCR.io/", "alice", plantStore, StoreAuto)
	if err != nil {
		t.Fatal(err)
	}
	if res.Host != "ghcr.io" || res.Helper != "" || res.Replaced {
		t.Errorf("AddResult = %+v", res)
	}
	fi, err := os.Stat(st.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("store mode = %04o, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(st.Path))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("store dir mode = %04o, want 0700", di.Mode().Perm())
	}
	if res, err = st.Add(ctx, "ghcr.io", "alice2", plantStore+"2", StoreFile); err != nil || !res.Replaced {
		t.Fatalf("replace: %+v %v", res, err)
	}
	if _, err := st.Add(ctx, "docker.io", "bob", plantPass, StoreFile); err != nil {
		t.Fatal(err)
	}
	es, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(es); got != "[{docker.io bob } {ghcr.io alice2 }]" {
		t.Errorf("List = %s", got)
	}
	r, err := Resolve(ctx, "ghcr.io", te.env())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Source, "sleuth store (") || r.Credential.Secret != plantStore+"2" {
		t.Errorf("Resolve = %s", resolutionText(r))
	}
	e, _, err := st.Remove(ctx, "ghcr.io")
	if err != nil || e == nil || e.Username != "alice2" {
		t.Fatalf("Remove = %+v, %v", e, err)
	}
	if e, _, err := st.Remove(ctx, "ghcr.io"); err != nil || e != nil {
		t.Fatalf("second Remove = %+v, %v", e, err)
	}
	es, _ = st.List()
	if len(es) != 1 || es[0].Host != "docker.io" {
		t.Errorf("after remove: %v", es)
	}
	// No temp or stray files are left next to the store.
	ents, _ := os.ReadDir(filepath.Dir(st.Path))
	for _, d := range ents {
		if d.Name() != "credentials.json" && d.Name() != "credentials.json.lock" {
			t.Errorf("stray file %s", d.Name())
		}
	}
}

func TestStoreInHelper(t *testing.T) {
	te := newTestEnv(t)
	ctx := context.Background()
	data := filepath.Join(te.root, "keychain")
	te.helper("fstore", fileHelperScript(data))
	te.dockerConfig(`{"credsStore":"fstore"}`)
	st := OpenStore(te.env())
	res, err := st.Add(ctx, "registry.example.com:5000", "carol", plantHelper, StoreAuto)
	if err != nil {
		t.Fatal(err)
	}
	if res.Helper != "fstore" {
		t.Fatalf("Helper = %q", res.Helper)
	}
	b, _ := os.ReadFile(st.Path)
	assertNoSecrets(t, "index file with a helper", string(b))
	// Docker's chain finds it through credsStore; the sleuth entry is not reported twice.
	r, err := Resolve(ctx, "registry.example.com:5000", te.env())
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "credsStore (docker-credential-fstore)" || r.Credential.Secret != plantHelper || len(r.Problems) != 0 {
		t.Errorf("Resolve = %s", resolutionText(r))
	}
	// Docker Hub goes under its canonical key in the helper.
	if _, err := st.Add(ctx, "docker.io", "dave", plantHelper, StoreHelper); err != nil {
		t.Fatal(err)
	}
	m, err := te.env().WithDefaults().findHelper("fstore").List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m[DockerHubKey] != "dave" || m["registry.example.com:5000"] != "carol" {
		t.Errorf("helper list = %v", m)
	}
	if _, _, err := st.Remove(ctx, "docker.io"); err != nil {
		t.Fatal(err)
	}
	m, _ = te.env().WithDefaults().findHelper("fstore").List(ctx)
	if _, ok := m[DockerHubKey]; ok {
		t.Errorf("Remove left the helper entry: %v", m)
	}
}

func TestStoreHelperChoices(t *testing.T) {
	ctx := context.Background()
	t.Run("missing helper falls back to the file with a note", func(t *testing.T) {
		te := newTestEnv(t)
		te.dockerConfig(`{"credsStore":"desktop"}`)
		res, err := OpenStore(te.env()).Add(ctx, "ghcr.io", "alice", plantStore, StoreAuto)
		if err != nil {
			t.Fatal(err)
		}
		if res.Helper != "" || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "docker-credential-desktop is not on PATH") {
			t.Errorf("res = %+v", res)
		}
	})
	t.Run("--store helper without a helper fails", func(t *testing.T) {
		te := newTestEnv(t)
		_, err := OpenStore(te.env()).Add(ctx, "ghcr.io", "alice", plantStore, StoreHelper)
		if err == nil || !strings.Contains(err.Error(), `has no "credsStore"`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("failing helper saves nothing", func(t *testing.T) {
		te := newTestEnv(t)
		te.helper("secretservice", dbusScript)
		te.dockerConfig(`{"credsStore":"secretservice"}`)
		st := OpenStore(te.env())
		_, err := st.Add(ctx, "ghcr.io", "alice", plantStore, StoreAuto)
		if err == nil || !strings.Contains(err.Error(), "D-Bus") || !strings.Contains(err.Error(), "--store file") {
			t.Fatalf("err = %v", err)
		}
		assertNoSecrets(t, "error", err.Error())
		if es, _ := st.List(); len(es) != 0 {
			t.Errorf("saved anyway: %v", es)
		}
	})
	t.Run("--store file ignores the helper", func(t *testing.T) {
		te := newTestEnv(t)
		te.helper("secretservice", dbusScript)
		te.dockerConfig(`{"credsStore":"secretservice"}`)
		res, err := OpenStore(te.env()).Add(ctx, "ghcr.io", "alice", plantStore, StoreFile)
		if err != nil || res.Helper != "" {
			t.Fatalf("res = %+v, err = %v", res, err)
		}
	})
	t.Run("bad hosts are rejected", func(t *testing.T) {
		te := newTestEnv(t)
		for _, h := range []string{"", "a b", `x"y`} {
			if _, err := OpenStore(te.env()).Add(ctx, h, "u", "p", StoreFile); err == nil {
				t.Errorf("Add(%q) succeeded", h)
			}
		}
	})
}

func TestStoreCorrupted(t *testing.T) {
	ctx := context.Background()
	for name, content := range map[string]string{
		"truncated":     `{"version":1,"registries":{"ghcr.io":{"username":"a","secret":"` + plantStore,
		"empty":         "",
		"wrong type":    `{"version":1,"registries":[]}`,
		"newer version": `{"version":2,"registries":{}}`,
		"unknown field": `{"version":1,"registries":{},"extra":true}`,
		"no secret":     `{"version":1,"registries":{"ghcr.io":{"username":"a"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			te := newTestEnv(t)
			st := OpenStore(te.env())
			te.write(st.Path, content, 0o600)
			_, err := st.Add(ctx, "quay.io", "u", plantPass, StoreFile)
			if !errors.Is(err, ErrCorruptStore) || !strings.Contains(err.Error(), "left untouched") {
				t.Fatalf("Add err = %v", err)
			}
			assertNoSecrets(t, "corrupt error", err.Error())
			if _, _, err := st.Remove(ctx, "ghcr.io"); !errors.Is(err, ErrCorruptStore) {
				t.Errorf("Remove err = %v", err)
			}
			if _, err := st.List(); !errors.Is(err, ErrCorruptStore) {
				t.Errorf("List err = %v", err)
			}
			b, _ := os.ReadFile(st.Path)
			if string(b) != content {
				t.Errorf("corrupted store was modified")
			}
		})
	}
}

func TestStoreConcurrentAdds(t *testing.T) {
	te := newTestEnv(t)
	ctx := context.Background()
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine opens its own Store, as separate processes would.
			_, err := OpenStore(te.env()).Add(ctx, fmt.Sprintf("r%02d.example.com", i), "u", plantStore, StoreFile)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	es, err := OpenStore(te.env()).List()
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != n {
		t.Errorf("%d entries after %d concurrent adds", len(es), n)
	}
}
