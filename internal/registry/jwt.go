package registry

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Access is one entry of a registry token's `access` claim: what the token server granted.
type Access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

func (a Access) String() string {
	return a.Type + ":" + a.Name + ":" + strings.Join(a.Actions, ",")
}

// TokenInfo is what a registry token says about itself, decoded without verifying the
// signature (only the registry can do that). It holds no secret.
type TokenInfo struct {
	JWT       bool      `json:"jwt"`
	Algorithm string    `json:"alg,omitempty"`
	Issuer    string    `json:"iss,omitempty"`
	Subject   string    `json:"sub,omitempty"`
	Audience  []string  `json:"aud,omitempty"`
	Access    []Access  `json:"access,omitempty"`
	HasAccess bool      `json:"has_access_claim"`
	Expires   time.Time `json:"exp,omitzero"`
	NotBefore time.Time `json:"nbf,omitzero"`
	IssuedAt  time.Time `json:"iat,omitzero"`
}

// Allows reports whether the granted access covers every action on the repository.
func (t *TokenInfo) Allows(repo string, actions ...string) bool {
	for _, want := range actions {
		ok := false
		for _, a := range t.Access {
			if a.Type != "repository" || (a.Name != repo && a.Name != "*") {
				continue
			}
			for _, got := range a.Actions {
				if got == want || got == "*" {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

var errNotJWT = errors.New("not a JWT")

// DecodeToken decodes the header and claims of a JWT. The signature is not checked.
func DecodeToken(tok string) (*TokenInfo, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(tok) > 64<<10 {
		return &TokenInfo{}, errNotJWT
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return &TokenInfo{}, fmt.Errorf("%w: header: %v", errNotJWT, err)
	}
	var claims struct {
		Iss    string          `json:"iss"`
		Sub    string          `json:"sub"`
		Aud    json.RawMessage `json:"aud"`
		Exp    *json.Number    `json:"exp"`
		Nbf    *json.Number    `json:"nbf"`
		Iat    *json.Number    `json:"iat"`
		Access *[]Access       `json:"access"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return &TokenInfo{}, fmt.Errorf("%w: claims: %v", errNotJWT, err)
	}
	info := &TokenInfo{JWT: true, Algorithm: hdr.Alg, Issuer: claims.Iss, Subject: claims.Sub}
	if len(claims.Aud) > 0 {
		var one string
		var many []string
		if json.Unmarshal(claims.Aud, &one) == nil {
			info.Audience = []string{one}
		} else if json.Unmarshal(claims.Aud, &many) == nil {
			info.Audience = many
		}
	}
	info.Expires = unixTime(claims.Exp)
	info.NotBefore = unixTime(claims.Nbf)
	info.IssuedAt = unixTime(claims.Iat)
	if claims.Access != nil {
		info.HasAccess = true
		info.Access = *claims.Access
	}
	return info, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func unixTime(n *json.Number) time.Time {
	if n == nil {
		return time.Time{}
	}
	f, err := n.Float64()
	if err != nil || f <= 0 || f > 1e11 {
		return time.Time{}
	}
	return time.Unix(int64(f), 0).UTC()
}
