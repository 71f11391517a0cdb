package cred

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/credentials"
)

func TestParseConfigErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"{\n\"auths\": {\n\"a\": {\"auth\": 1}\n}}", `/c.json:3:`},
		{"{\n\"auths\": {\n\"a\": {\"auth\": 1}\n}}", `"auths.auth" must be a JSON string, not number`},
		{"{\"credHelpers\": []}", `"credHelpers" must be a JSON map[string]string, not array`},
		{"{\"auths\": {\"a\": {\"auth\": \"" + b64("nocolon") + "\"}}}", `/c.json:1: auths["a"].auth decodes to 7 bytes without a ':'`},
		{"{\"auths\": {\"a\": {\"auth\": \"" + b64(":pw") + "\"}}}", `empty username`},
		{"{\"auths\": {\"a\": {\"auth\": \"%%%\"}}}", `is not base64`},
		{"{\n  \"auths\": {\n    \"a\": {}\n  }\n", `/c.json:4: invalid JSON: unexpected end of file`},
		{"{\"auths\": {} x", `/c.json:1:14: invalid JSON: invalid character 'x' after object key:value pair`},
	}
	for _, c := range cases {
		_, err := ParseConfig("/c.json", []byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseConfig(%q) = %v, want %q", c.in, err, c.want)
		}
	}
	for _, ok := range []string{"", "{}", `{"auths":{}}`, `{"auths":{"https://index.docker.io/v1/":{}}, "credsStore":"desktop", "currentContext":"x"}`} {
		if _, err := ParseConfig("/c.json", []byte(ok)); err != nil {
			t.Errorf("ParseConfig(%q) = %v", ok, err)
		}
	}
}

// FuzzParseConfig: parsing never panics, errors name the file and never quote an auth or
// password value, and every key of a parsed config is found by Docker's lookup for its host.
func FuzzParseConfig(f *testing.F) {
	seeds := []string{
		`{"auths":{"ghcr.io":{"auth":"` + b64("alice:"+plantGitHub) + `"}}}`,
		`{"auths":{"https://index.docker.io/v1/":{}},"credsStore":"desktop"}`,
		`{"auths":{"https://registry.example.com/v2/":{"username":"u","password":"` + plantPass + `"}}}`,
		`{"auths":{"r":{"auth":"` + plantPass + `"}}}`,
		`{"auths":{"r":{"auth":"` + b64(plantPass) + `"}}}`,
		`{"auths":{"r":{"auth":"` + b64("u:p") + `","identitytoken":"tok","registrytoken":"rt"}},"credHelpers":{"gcr.io":"gcloud"}}`,
		"{\n  \"auths\": {\n",
		`{"auths":[]}`,
		`{"auths":{"[::1]:5000":{"auth":"` + b64("u:p") + `"}}}`,
		`{"proxies":{"default":{"httpProxy":"http://p"}},"HttpHeaders":{"X":"y"}}`,
		``,
		`null`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cf, err := ParseConfig("/fuzz/config.json", data)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "/fuzz/config.json") {
				t.Fatalf("error does not name the file: %s", msg)
			}
			for _, v := range secretValues(data) {
				if strings.Contains(msg, v) {
					t.Fatalf("error %q quotes the value %q", msg, v)
				}
			}
			return
		}
		for k := range cf.AuthConfigs {
			host := credentials.ConvertToHostname(k)
			if host == "" {
				continue
			}
			if _, ok := lookupAuths(cf, host); !ok {
				t.Fatalf("key %q not found for host %q", k, host)
			}
		}
	})
}

// secretValues returns the auth and password values of data (when it is JSON) that are long
// enough to be recognisable and do not also occur as a key or elsewhere structural.
func secretValues(data []byte) []string {
	var raw struct {
		Auths map[string]map[string]any `json:"auths"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return nil
	}
	var out []string
	for k, e := range raw.Auths {
		for _, f := range []string{"auth", "password"} {
			if v, ok := e[f].(string); ok && len(v) >= 8 && !strings.Contains(k, v) && !strings.Contains(messageText, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// messageText is the fixed wording of parse errors; a value that happens to be one of these
// words is not a leak.
const messageText = "/fuzz/config.json auths decodes to bytes without a ':' (want base64 of user:password; a bare token?); " +
	"docker/cli refuses the whole file, so every registry fails (invalid auth configuration file) illegal base64 data at input byte " +
	"decodes to an empty username (want base64 of user:password) is not base64 of user:password invalid JSON: unexpected end of file " +
	"(a missing closing brace or quote?) must be a JSON string, not"
