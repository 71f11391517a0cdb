package registry

import (
	"context"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/sleuth-ci/sleuth/internal/cred"
)

// Keychain adapts cred.Resolve to go-containerregistry: pull uses exactly the credential
// that 'sleuth creds' and 'sleuth registry test' show.
type Keychain struct {
	Ctx context.Context
	Env cred.Env

	mu       sync.Mutex
	resolved []*cred.Resolution
}

// Resolve implements authn.Keychain.
func (k *Keychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(k.Ctx, res)
}

// ResolveContext implements authn.ContextKeychain.
func (k *Keychain) ResolveContext(ctx context.Context, res authn.Resource) (authn.Authenticator, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	r, err := cred.Resolve(ctx, res.RegistryStr(), k.Env)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.resolved = append(k.resolved, r)
	k.mu.Unlock()
	c := r.Credential
	if c == nil {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: c.Username, Password: c.Secret, IdentityToken: c.IdentityToken, RegistryToken: c.RegistryToken}), nil
}

// Resolutions are the lookups made so far (which source answered, for the output).
func (k *Keychain) Resolutions() []*cred.Resolution {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]*cred.Resolution(nil), k.resolved...)
}
