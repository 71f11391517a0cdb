package registry

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sleuth-ci/sleuth/internal/cred"
	"github.com/sleuth-ci/sleuth/internal/registry/registrytest"
)

// The keychain hands go-containerregistry the credential cred.Resolve finds in config.json.
func TestKeychainPullsWithDockerConfig(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	ref, err := name.ParseReference(reg.Host + "/alice/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, pass string
		wantErr    bool
		source     string
	}{
		{"alice", registrytest.DefaultUsers["alice"].Password, false, "auths"},
		{"alice", "wrong-pass-3Xy9", true, "auths"},
		{"", "", true, cred.Anonymous},
	} {
		t.Run(fmt.Sprintf("%s/%v", tc.user, tc.wantErr), func(t *testing.T) {
			dir := t.TempDir()
			cfg := `{}`
			if tc.user != "" {
				cfg = fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, reg.Host, base64.StdEncoding.EncodeToString([]byte(tc.user+":"+tc.pass)))
			}
			if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"DOCKER_CONFIG": dir, "HOME": t.TempDir()}
			kc := &Keychain{Ctx: context.Background(), Env: cred.Env{Getenv: func(k string) string { return env[k] }}.WithDefaults()}
			_, err := remote.Image(ref, remote.WithAuthFromKeychain(kc), remote.WithTransport(NewTransport(ClientOptions{Proxy: noProxy})))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v", err)
			}
			rs := kc.Resolutions()
			if len(rs) == 0 || rs[0].Host != reg.Host {
				t.Fatalf("resolutions %+v", rs)
			}
			if got := rs[0].Source; len(got) < len(tc.source) || got[:len(tc.source)] != tc.source {
				t.Errorf("source %q, want %q…", got, tc.source)
			}
		})
	}
}
