//go:build ignore

// generate writes the secrets corpus: log excerpts and small config files holding secrets
// the way they really appear in CI logs and config files, and manifest.json, which lists for
// each file the exact secret strings it contains and the marker kind sleuth must put in their
// place. Every value is freshly generated (random, in the documented format, with valid
// checksums where the format has one) and belongs to no account.
//
//	go run testdata/secrets/generate.go
package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	alnum  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	lower  = "0123456789abcdefghijklmnopqrstuvwxyz"
	hexs   = "0123456789abcdef"
	digits = "0123456789"
	b64    = alnum + "+/"
	b64url = alnum + "-_"
	awsID  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

var rng = mrand.New(mrand.NewPCG(2024, 517))

func rs(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// password is a generated password with letters, digits and a symbol.
func password() string { return rs(alnum, 7) + "_" + rs(digits, 2) + rs(alnum, 7) }

// githubToken builds a GitHub token: prefix, 30 random characters and the base62 CRC32
// checksum of those, 6 characters.
func githubToken(prefix string) string {
	body := rs(alnum, 30)
	sum := crc32.ChecksumIEEE([]byte(body))
	var c [6]byte
	for i := 5; i >= 0; i-- {
		c[i] = alnum[sum%62]
		sum /= 62
	}
	return prefix + body + string(c[:])
}

func jwt(claims string) string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"RS256","kid":"` + rs(hexs, 16) + `","typ":"JWT"}`))
	p := enc.EncodeToString([]byte(claims))
	return h + "." + p + "." + rs(b64url, 342)
}

func pemLines(block *pem.Block) []string {
	return strings.Split(strings.TrimRight(string(pem.EncodeToMemory(block)), "\n"), "\n")
}

func rsaKey(pkcs8 bool) []string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	if pkcs8 {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		return pemLines(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	return pemLines(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

func ecKey() []string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		panic(err)
	}
	return pemLines(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// opensshKey builds an unencrypted openssh-key-v1 ed25519 private key.
func opensshKey() []string {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	str := func(b []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(b)))
		return append(out, b...)
	}
	pubBlob := append(str([]byte("ssh-ed25519")), str(pub)...)
	check := rng.Uint32()
	var pb []byte
	pb = binary.BigEndian.AppendUint32(pb, check)
	pb = binary.BigEndian.AppendUint32(pb, check)
	pb = append(pb, str([]byte("ssh-ed25519"))...)
	pb = append(pb, str(pub)...)
	pb = append(pb, str(priv)...)
	pb = append(pb, str([]byte("deploy@ci"))...)
	for i := byte(1); len(pb)%8 != 0; i++ {
		pb = append(pb, i)
	}
	var out []byte
	out = append(out, "openssh-key-v1\x00"...)
	out = append(out, str([]byte("none"))...)
	out = append(out, str([]byte("none"))...)
	out = append(out, str(nil)...)
	out = binary.BigEndian.AppendUint32(out, 1)
	out = append(out, str(pubBlob)...)
	out = append(out, str(pb)...)
	enc := base64.StdEncoding.EncodeToString(out)
	lines := []string{"-----BEGIN OPENSSH PRIVATE KEY-----"}
	for len(enc) > 70 {
		lines = append(lines, enc[:70])
		enc = enc[70:]
	}
	lines = append(lines, enc, "-----END OPENSSH PRIVATE KEY-----")
	return lines
}

// Entry is one secret in a file, or (Keep) text that must come out unchanged.
type Entry struct {
	Kind   string `json:"kind"`             // what the secret is, e.g. "github-classic-pat"
	Secret string `json:"secret,omitempty"` // the exact string as it appears in the file
	Marker string `json:"marker,omitempty"` // the kind in the [REDACTED:kind] marker that replaces it
	Keep   string `json:"keep,omitempty"`   // text (CI-masked values) that must not be changed
}

type file struct {
	name    string
	lines   []string
	entries []Entry
}

func (f *file) add(line string, es ...Entry) {
	for _, e := range es {
		s := e.Secret
		if s == "" {
			s = e.Keep
		}
		if !strings.Contains(line, s) {
			panic(fmt.Sprintf("%s: %q not in line %q", f.name, s, line))
		}
	}
	f.lines = append(f.lines, line)
	f.entries = append(f.entries, es...)
}

func (f *file) plain(lines ...string) { f.lines = append(f.lines, lines...) }

func sec(kind, marker, secret string) Entry { return Entry{Kind: kind, Secret: secret, Marker: marker} }
func keep(text string) Entry                { return Entry{Kind: "ci-masked", Keep: text} }

// keyBlock adds a PEM block whose body lines are secrets, each line prefixed with prefix.
func (f *file) keyBlock(kind, prefix string, lines []string) {
	for _, l := range lines {
		if strings.HasPrefix(l, "-----") {
			f.plain(prefix + l)
			continue
		}
		f.add(prefix+l, sec(kind, "private-key", l))
	}
}

func main() {
	dir := filepath.Join("testdata", "secrets") // run from the repository root
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	var files []*file
	newFile := func(name string) *file {
		f := &file{name: name}
		files = append(files, f)
		return f
	}
	ts := func(s int) string {
		return fmt.Sprintf("2024-05-01T12:%02d:%02d.%07dZ ", s/60, s%60, rng.IntN(10000000))
	}

	// GitHub Actions: classic, fine-grained, app installation, app user, OAuth and refresh tokens.
	ghp, gho, ghu, ghs, ghr := githubToken("ghp_"), githubToken("gho_"), githubToken("ghu_"), githubToken("ghs_"), githubToken("ghr_")
	ghPAT := "github_pat_11" + rs(awsID, 20) + "_" + rs(alnum, 59)
	f := newFile("github-actions.log")
	f.plain(ts(1)+"##[group]Run actions/checkout@v4", ts(1)+"with:", ts(1)+"  repository: example-org/app")
	f.add(ts(1)+"  token: ***", keep("token: ***"))
	f.plain(ts(2) + "##[endgroup]")
	f.add(ts(3)+"+ git remote set-url origin https://x-access-token:"+ghs+"@github.com/example-org/app.git",
		sec("github-app-installation-token", "github-token", ghs))
	f.add(ts(4)+"+ export GITHUB_TOKEN="+ghp, sec("github-classic-pat", "github-token", ghp))
	f.add(ts(5)+"+ gh auth login --with-token <<< "+ghPAT, sec("github-fine-grained-pat", "github-token", ghPAT))
	f.add(ts(6)+"Error: Bad credentials for token "+ghu+" (HTTP 401)", sec("github-app-user-token", "github-token", ghu))
	f.add(ts(7)+"    oauth_token: "+gho, sec("github-oauth-token", "github-token", gho))
	f.add(ts(8)+`{"access_token":"`+ghu+`","expires_in":28800,"refresh_token":"`+ghr+`","refresh_token_expires_in":15811200,"token_type":"bearer"}`,
		sec("github-app-user-token", "github-token", ghu), sec("github-refresh-token", "github-token", ghr))
	f.add(ts(9)+"remote: Invalid username or password. https://"+ghp+"@github.com/example-org/app.git",
		sec("github-classic-pat", "github-token", ghp))
	f.add(ts(10)+"##[error]Process completed with exit code 128. GITHUB_TOKEN: ***", keep("GITHUB_TOKEN: ***"))

	// GitLab: personal, deploy, runner authentication and registration, CI job and trigger tokens.
	glpat := "glpat-" + rs(alnum+"_-", 20)
	gldt := "gldt-" + rs(alnum, 20)
	glrt := "glrt-t1_" + rs(alnum, 20)
	gr := "GR1348941" + rs(alnum+"_-", 20)
	glcbt := "glcbt-64_" + rs(alnum, 20)
	glptt := "glptt-" + rs(hexs, 40)
	f = newFile("gitlab-ci.log")
	f.plain("Running with gitlab-runner 17.0.0 (44feccdf)", "section_start:1714564800:prepare_script\r\x1b[0KPreparing environment")
	f.add(`$ curl --fail --header "PRIVATE-TOKEN: `+glpat+`" https://gitlab.example.com/api/v4/projects/42/releases`,
		sec("gitlab-pat", "gitlab-token", glpat))
	f.add("$ docker login -u gitlab+deploy-token-17 -p "+gldt+" registry.gitlab.example.com",
		sec("gitlab-deploy-token", "gitlab-token", gldt))
	f.add("$ gitlab-runner register --non-interactive --url https://gitlab.example.com --token "+glrt,
		sec("gitlab-runner-auth-token", "gitlab-token", glrt))
	f.add("$ gitlab-runner register --registration-token "+gr+" --executor docker",
		sec("gitlab-runner-registration-token", "gitlab-token", gr))
	f.add("fatal: unable to access 'https://gitlab-ci-token:"+glcbt+"@gitlab.example.com/group/app.git/': The requested URL returned error: 403",
		sec("gitlab-ci-job-token", "gitlab-token", glcbt))
	f.add("$ curl -X POST --fail -F token="+glptt+" -F ref=main https://gitlab.example.com/api/v4/projects/42/trigger/pipeline",
		sec("gitlab-trigger-token", "gitlab-token", glptt))
	f.add("Fetching changes with git depth set to 20... https://gitlab-ci-token:[MASKED]@gitlab.example.com/group/app.git",
		keep("gitlab-ci-token:[MASKED]@"))
	f.plain("ERROR: Job failed: exit code 1")

	// npm, PyPI, RubyGems, NuGet.
	npmTok := "npm_" + rs(alnum, 36)
	npmAuth := base64.StdEncoding.EncodeToString([]byte("deploy:" + password()))
	npmPass := base64.StdEncoding.EncodeToString([]byte(password()))
	f = newFile("npmrc")
	f.add("//npm-registry.example/:_authToken="+npmTok, sec("npm-token", "npm-token", npmTok))
	f.add("_auth="+npmAuth, sec("npmrc-auth", "npm-auth", npmAuth))
	f.plain("//npm.pkg.example/:username=deploy")
	f.add("//npm.pkg.example/:_password="+npmPass, sec("npmrc-password", "npm-password", npmPass))
	f.plain("always-auth=true")

	npmTok2 := "npm_" + rs(alnum, 36)
	f = newFile("npm-publish.log")
	f.add(`+ echo "//npm-registry.example/:_authToken=`+npmTok2+`" > ~/.npmrc`, sec("npm-token", "npm-token", npmTok2))
	f.plain("+ npm publish --access public", "npm notice Publishing to https://npm-registry.example/ with tag latest and public access")
	f.add("npm ERR! code E401 Unable to authenticate with token "+npmTok2, sec("npm-token", "npm-token", npmTok2))
	f.add("npm ERR! NODE_AUTH_TOKEN: XXXXX-XXXXX-XXXXX-XXXXX", keep("XXXXX-XXXXX-XXXXX-XXXXX"))

	pypi := "pypi-AgEIcHlwaS5vcmcCJD" + rs(b64url, 156)
	pypi2 := "pypi-AgENdGVzdC5weXBpLm9yZwIk" + rs(b64url, 150)
	f = newFile("pypirc")
	f.plain("[distutils]", "index-servers =", "    pypi", "    testpypi", "", "[pypi]", "username = __token__")
	f.add("password = "+pypi, sec("pypi-token", "pypi-token", pypi))
	f.plain("", "[testpypi]", "repository = https://test.pypi.example/legacy/", "username = __token__")
	f.add("password = "+pypi2, sec("pypi-token", "pypi-token", pypi2))

	f = newFile("twine-upload.log")
	f.add("+ TWINE_USERNAME=__token__ TWINE_PASSWORD="+pypi+" twine upload dist/*", sec("pypi-token", "pypi-token", pypi))
	f.plain("Uploading distributions to https://upload.pypi.example/legacy/")
	f.add("HTTPError: 403 Forbidden from https://upload.pypi.example/legacy/ Invalid or non-existent authentication information. token "+pypi,
		sec("pypi-token", "pypi-token", pypi))

	gem := "rubygems_" + rs(hexs, 48)
	f = newFile("gem-credentials")
	f.plain("---")
	f.add(":rubygems_api_key: "+gem, sec("rubygems-token", "rubygems-token", gem))
	f.add("GEM_HOST_API_KEY: "+gem, sec("rubygems-token", "rubygems-token", gem))

	nuget := "oy2" + rs(lower, 43)
	f = newFile("nuget-push.log")
	f.add("> dotnet nuget push bin/Release/App.1.2.3.nupkg --api-key "+nuget+" --source https://nuget.example/v3/index.json",
		sec("nuget-api-key", "nuget-api-key", nuget))
	f.plain("  Pushing App.1.2.3.nupkg to 'https://nuget.example/api/v2/package'...",
		"  Forbidden https://nuget.example/api/v2/package/ 412ms",
		"error: Response status code does not indicate success: 403 (The specified API key is invalid, has expired, or does not have permission to access the specified package.).")

	// AWS: environment dump, ~/.aws/credentials, STS JSON.
	akia, asia := "AKIA"+rs(awsID, 16), "ASIA"+rs(awsID, 16)
	awsSecret, awsSecret2 := rs(b64, 40), rs(b64, 40)
	session := "IQoJb3JpZ2luX2VjEJ7//////////wEaCXVzLWVhc3QtMSJHMEUCIQ" + rs(b64, 340)
	f = newFile("aws-env.log")
	f.plain("+ env | sort", "AWS_DEFAULT_REGION=us-east-1")
	f.add("AWS_ACCESS_KEY_ID="+akia, sec("aws-access-key-id", "aws-access-key-id", akia))
	f.add("AWS_SECRET_ACCESS_KEY="+awsSecret, sec("aws-secret-access-key", "aws-secret-access-key", awsSecret))
	f.add("AWS_SESSION_TOKEN="+session, sec("aws-session-token", "aws-session-token", session))
	f.add("An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security token included in the request is invalid. key "+akia,
		sec("aws-access-key-id", "aws-access-key-id", akia))

	f = newFile("aws-credentials")
	f.plain("[default]")
	f.add("aws_access_key_id = "+akia, sec("aws-access-key-id", "aws-access-key-id", akia))
	f.add("aws_secret_access_key = "+awsSecret, sec("aws-secret-access-key", "aws-secret-access-key", awsSecret))
	f.plain("", "[deploy]")
	f.add("aws_access_key_id="+asia, sec("aws-sts-access-key-id", "aws-access-key-id", asia))
	f.add("aws_secret_access_key="+awsSecret2, sec("aws-secret-access-key", "aws-secret-access-key", awsSecret2))
	f.add("aws_session_token="+session, sec("aws-session-token", "aws-session-token", session))

	f = newFile("sts-assume-role.json")
	f.plain("{", `    "Credentials": {`)
	f.add(`        "AccessKeyId": "`+asia+`",`, sec("aws-sts-access-key-id", "aws-access-key-id", asia))
	f.add(`        "SecretAccessKey": "`+awsSecret2+`",`, sec("aws-secret-access-key", "aws-secret-access-key", awsSecret2))
	f.add(`        "SessionToken": "`+session+`",`, sec("aws-session-token", "aws-session-token", session))
	f.plain(`        "Expiration": "2024-05-01T13:00:00+00:00"`, "    },", `    "AssumedRoleUser": {`,
		`        "AssumedRoleId": "AROA`+rs(awsID, 17)+`:ci",`,
		`        "Arn": "arn:aws:sts::123456789012:assumed-role/deploy/ci"`, "    }", "}")

	// GCP service account key: the private key as one JSON string with \n escapes.
	gcpKey := rsaKey(true)
	f = newFile("gcp-service-account.json")
	f.plain("{", `  "type": "service_account",`, `  "project_id": "example-ci",`,
		`  "private_key_id": "`+rs(hexs, 40)+`",`)
	var gcpEntries []Entry
	for _, l := range gcpKey[1 : len(gcpKey)-1] {
		gcpEntries = append(gcpEntries, sec("gcp-service-account-private-key", "private-key", l))
	}
	f.add(`  "private_key": "`+strings.Join(gcpKey, `\n`)+`\n",`, gcpEntries...)
	f.plain(`  "client_email": "deploy@example-ci.iam.gserviceaccount.example",`, `  "client_id": "1`+rs(digits, 20)+`",`,
		`  "auth_uri": "https://accounts.google.example/o/oauth2/auth",`, `  "token_uri": "https://oauth2.googleapis.example/token"`, "}")

	// Azure: client secrets, SAS tokens, storage connection strings.
	azSecret := rs(alnum, 3) + "8Q~" + rs(alnum+"_~.-", 34)
	azSecret2 := rs(alnum, 3) + "8Q~" + rs(alnum+"_~.-", 34)
	sig := url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(rs(alnum, 32))))
	accountKey := base64.StdEncoding.EncodeToString([]byte(rs(b64, 64)))
	sbKey := base64.StdEncoding.EncodeToString([]byte(rs(alnum, 32)))
	f = newFile("azure.log")
	f.add("+ az login --service-principal -u 00000000-1111-2222-3333-444444444444 -p "+azSecret+" --tenant example.onmicrosoft.example",
		sec("azure-client-secret", "azure-client-secret", azSecret))
	f.add(`AZURE_CREDENTIALS: {"clientId": "00000000-1111-2222-3333-444444444444", "clientSecret": "`+azSecret2+`", "tenantId": "55555555-6666-7777-8888-999999999999"}`,
		sec("azure-client-secret", "azure-client-secret", azSecret2))
	f.add("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '00000000-1111-2222-3333-444444444444'. secret="+azSecret2,
		sec("azure-client-secret", "azure-client-secret", azSecret2))
	f.add("+ azcopy copy 'https://acct.blob.core.windows.example/builds/app.tgz?sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2030-01-01T00:00:00Z&st=2024-05-01T00:00:00Z&spr=https&sig="+sig+"' ./app.tgz",
		sec("azure-sas-signature", "sas-signature", sig))
	f.add("AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=acct;AccountKey="+accountKey+";EndpointSuffix=core.windows.example",
		sec("azure-storage-account-key", "azure-key", accountKey))
	f.add("ServiceBusConnection: Endpoint=sb://bus.servicebus.windows.example/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey="+sbKey,
		sec("azure-service-bus-key", "azure-key", sbKey))
	f.plain("ERROR: Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")

	// Slack.
	xoxb := "xoxb-" + rs(digits, 11) + "-" + rs(digits, 13) + "-" + rs(alnum, 24)
	xoxp := "xoxp-" + rs(digits, 11) + "-" + rs(digits, 11) + "-" + rs(digits, 13) + "-" + rs(hexs, 32)
	xapp := "xapp-1-A0" + rs(awsID, 9) + "-" + rs(digits, 13) + "-" + rs(hexs, 64)
	hook := "T0" + rs(awsID, 8) + "/B0" + rs(awsID, 8) + "/" + rs(alnum, 24)
	f = newFile("slack.log")
	f.add("SLACK_BOT_TOKEN="+xoxb, sec("slack-bot-token", "slack-token", xoxb))
	f.add(`+ curl -sS -d "token=`+xoxp+`&channel=C0123456789&text=deployed" https://slack.example/api/chat.postMessage`,
		sec("slack-user-token", "slack-token", xoxp))
	f.add("SLACK_APP_TOKEN: "+xapp, sec("slack-app-token", "slack-token", xapp))
	f.add(`+ curl -X POST -H 'Content-type: application/json' --data '{"text":"build failed"}' https://hooks.slack.com/services/`+hook,
		sec("slack-webhook", "slack-webhook", hook))
	f.add(`{"ok":false,"error":"invalid_auth","token":"`+xoxb+`"}`, sec("slack-bot-token", "slack-token", xoxb))

	// Docker: Hub PATs, docker login, config.json auth and identity tokens.
	dckr := "dckr_pat_" + rs(b64url, 27)
	dockerPW := password()
	f = newFile("docker.log")
	f.add("+ echo "+dckr+" | docker login -u example-bot --password-stdin", sec("docker-hub-pat", "docker-hub-token", dckr))
	f.add("+ docker login -u example-bot -p "+dckr+" docker.example", sec("docker-hub-pat", "docker-hub-token", dckr))
	f.plain("WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
	f.add("+ docker login registry.example.com --username ci -p "+dockerPW, sec("docker-login-password", "password", dockerPW))
	f.add("+ docker login -u ci -p *** registry.example.com", keep("-p *** registry.example.com"))
	f.plain("Error response from daemon: Get \"https://registry.example.com/v2/\": unauthorized: incorrect username or password")

	dockerAuth := base64.StdEncoding.EncodeToString([]byte("ci-bot:" + githubToken("ghp_")))
	dockerAuth2 := base64.StdEncoding.EncodeToString([]byte("_json_key:" + password() + password()))
	identity := jwt(`{"jti":"` + rs(hexs, 32) + `","sub":"00000000-0000-0000-0000-000000000000","grant_type":"refresh_token","aud":"registry.example.azurecr.example","exp":1893456000}`)
	opaqueIdentity := rs(b64url, 64)
	f = newFile("docker-config.json")
	f.plain("{", `	"auths": {`)
	f.add(`		"ghcr.io": {"auth": "`+dockerAuth+`"},`, sec("docker-config-auth", "docker-auth", dockerAuth))
	f.plain(`		"gcr.example": {`)
	f.add(`			"auth": "`+dockerAuth2+`"`, sec("docker-config-auth", "docker-auth", dockerAuth2))
	f.plain(`		},`, `		"registry.example.azurecr.example": {`)
	f.add(`			"identitytoken": "`+identity+`"`, sec("docker-identity-token", "jwt", identity))
	f.plain(`		},`)
	f.add(`		"registry.example.com": {"identitytoken": "`+opaqueIdentity+`"}`,
		sec("docker-identity-token", "docker-identity-token", opaqueIdentity))
	f.plain(`	},`, `	"credsStore": "desktop"`, "}")

	// JWTs: OIDC request tokens, bearer tokens.
	oidc := jwt(`{"sub":"repo:example-org/app:ref:refs/heads/main","aud":"sts.amazonaws.example","iss":"https://token.actions.githubusercontent.example","exp":1714568400}`)
	f = newFile("jwt.log")
	f.add("ACTIONS_ID_TOKEN_REQUEST_TOKEN="+oidc, sec("jwt", "jwt", oidc))
	f.add(`Error: assume role failed: An error occurred (InvalidIdentityToken) for web identity token `+oidc,
		sec("jwt", "jwt", oidc))

	// Private keys printed over several lines.
	f = newFile("deploy-key.log")
	f.plain(ts(20) + "+ cat ~/.ssh/deploy_key")
	f.keyBlock("rsa-private-key", ts(21), rsaKey(false))
	f.plain(ts(22)+"Load key \"/root/.ssh/deploy_key\": invalid format", ts(22)+"git@github.com: Permission denied (publickey).")
	f.plain(ts(23) + "+ echo \"$SSH_KEY\"")
	f.keyBlock("openssh-private-key", ts(24), opensshKey())
	f.plain(ts(25) + "+ cat signing.pem")
	f.keyBlock("ec-private-key", ts(26)+"    ", ecKey())
	f.plain(ts(27) + "error: failed to sign release artifact")

	// Authorization headers: curl -v, HTTP dumps, JSON.
	basic := base64.StdEncoding.EncodeToString([]byte("builder:" + password()))
	bearer := rs(alnum, 40)
	oauthHex := rs(hexs, 40)
	proxyBasic := base64.StdEncoding.EncodeToString([]byte("proxy:" + password()))
	f = newFile("curl-verbose.log")
	f.plain("* Connected to artifacts.example.com (203.0.113.7) port 443", "> GET /repository/releases/app-1.2.3.jar HTTP/1.1", "> Host: artifacts.example.com")
	f.add("> Authorization: Basic "+basic, sec("basic-auth", "basic-auth", basic))
	f.add("> Proxy-Authorization: Basic "+proxyBasic, sec("proxy-basic-auth", "basic-auth", proxyBasic))
	f.plain("> User-Agent: curl/8.5.0", ">", "< HTTP/1.1 401 Unauthorized", `< WWW-Authenticate: Basic realm="Artifacts"`)
	f.add(`+ curl -sSf -H "Authorization: Bearer `+bearer+`" https://api.example.com/v1/deployments`, sec("bearer-token", "bearer-token", bearer))
	f.add(`+ curl -H 'Authorization: token `+oauthHex+`' https://api.github.example/repos/example-org/app`, sec("github-oauth-legacy-token", "token", oauthHex))
	f.plain("curl: (22) The requested URL returned error: 401")

	f = newFile("http-dump.json")
	f.add(`{"request":{"method":"POST","url":"https://api.example.com/v1/deploy","headers":{"Authorization":"Bearer `+bearer+`","Content-Type":"application/json"}},"response":{"status":403}}`,
		sec("bearer-token", "bearer-token", bearer))
	f.add(`{"level":"error","msg":"request failed","headers":{"authorization":"Basic `+basic+`"},"status":401}`,
		sec("basic-auth", "basic-auth", basic))

	// URLs with credentials.
	urlPW := password()
	tok := rs(alnum, 32)
	gitPW := password()
	f = newFile("git-urls.log")
	f.add("+ git clone https://ci-bot:"+gitPW+"@git.example.com/team/app.git", sec("url-password", "url-password", gitPW))
	f.add("fatal: Authentication failed for 'https://x-access-token:"+tok+"@github.com/example-org/app.git/'", sec("url-token", "url-password", tok))
	f.add("Cloning into 'app'... https://"+tok+"@git.example.com/team/app.git", sec("url-token", "url-token", tok))
	f.add("DATABASE_URL=postgres://app:"+urlPW+"@db.internal:5432/app?sslmode=disable", sec("postgres-url-password", "url-password", urlPW))
	f.add("Get \"https://deploy:"+urlPW+"@registry.example.com/v2/\": unauthorized", sec("url-password", "url-password", urlPW))

	// .netrc, multi-line and single-line.
	netrcPW, netrcPW2 := password(), password()
	f = newFile("netrc")
	f.plain("machine git.example.com", "  login ci-bot")
	f.add("  password "+netrcPW, sec("netrc-password", "netrc-password", netrcPW))
	f.add("machine api.example.com login deploy password "+netrcPW2, sec("netrc-password", "netrc-password", netrcPW2))

	// Command-line passwords.
	mysqlPW, psqlPW, flagPW, eqPW, sshpassPW, pgPW := password(), password(), password(), password(), password(), password()
	f = newFile("cli-passwords.log")
	f.add("+ mysql -h 127.0.0.1 -u root -p"+mysqlPW+" -e 'CREATE DATABASE app'", sec("mysql-password", "password", mysqlPW))
	f.add(`+ psql "postgresql://app:`+psqlPW+`@localhost:5432/app" -c 'select 1'`, sec("postgres-url-password", "url-password", psqlPW))
	f.add("+ PGPASSWORD="+pgPW+" pg_dump -h db -U app app", sec("pg-password", "password", pgPW))
	f.add("+ helm repo add private https://charts.example.com --username bot --password "+flagPW, sec("cli-password-flag", "password", flagPW))
	f.add("+ ./deploy.sh --db-user app password="+eqPW+" --retries 3", sec("password-assignment", "password", eqPW))
	f.add("+ sshpass -p "+sshpassPW+" ssh deploy@203.0.113.9 ./restart.sh", sec("sshpass-password", "password", sshpassPW))
	f.add("+ mysql --user=root --password=*** app", keep("--password=***"))
	f.plain("ERROR 1045 (28000): Access denied for user 'root'@'172.17.0.1' (using password: YES)")

	// Kubernetes kubeconfig.
	saToken := jwt(`{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"ci","sub":"system:serviceaccount:ci:deployer"}`)
	clientKey := base64.StdEncoding.EncodeToString([]byte(strings.Join(rsaKey(false), "\n") + "\n"))
	kubePW := password()
	f = newFile("kubeconfig.yaml")
	f.plain("apiVersion: v1", "kind: Config", "clusters:", "- cluster:",
		"    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFRREFqQWpNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkK",
		"    server: https://203.0.113.10:6443", "  name: ci", "users:", "- name: deployer", "  user:")
	f.add("    token: "+saToken, sec("kubernetes-service-account-token", "jwt", saToken))
	f.plain("- name: admin", "  user:",
		"    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM4akNDQWRxZ0F3SUJBZ0lJZDh3R2c1V2RZTXd3RFFZSktvWklodmNOQVFFTEJRQXdGVEVUTUJFR0ExVUUKQXhNS2EzVmlaWEp1WlhSbGN6QWVGdzB5TkRBMU1ERXhNakF3TURCYUZ3MHlOVEExTURFeE1qQXdNREJhTURReApGekFWQmdOVkJBb1REbk41YzNSbGJUcHRZWE4wWlhKek1Sa3dGd1lEVlFRREV4QnJkV0psY201bGRHVnpMV0ZrCg==")
	f.add("    client-key-data: "+clientKey, sec("kubernetes-client-key", "private-key", clientKey))
	f.plain("- name: basic", "  user:", "    username: admin")
	f.add("    password: "+kubePW, sec("kubernetes-basic-auth-password", "password", kubePW))

	// Terraform Cloud and Vault.
	tfTok := rs(alnum, 14) + ".atlasv1." + rs(alnum, 67)
	vault := "hvs.CAESI" + rs(b64url, 86)
	vaultB := "hvb.AAAAAQ" + rs(b64url, 120)
	f = newFile("terraform-vault.log")
	f.add("TF_TOKEN_app_terraform_io="+tfTok, sec("terraform-cloud-token", "terraform-token", tfTok))
	f.add(`credentials "app.terraform.io" { token = "`+tfTok+`" }`, sec("terraform-cloud-token", "terraform-token", tfTok))
	f.plain("Error: Failed to request discovery document: 401 Unauthorized")
	f.add("+ vault login "+vault, sec("vault-token", "vault-token", vault))
	f.add("VAULT_TOKEN="+vaultB, sec("vault-batch-token", "vault-token", vaultB))
	f.add(`+ curl -H "X-Vault-Token: `+vault+`" https://vault.example.com:8200/v1/secret/data/ci`, sec("vault-token", "vault-token", vault))
	f.plain("Error making API request. Code: 403. Errors: * permission denied")

	// Values the CI already masked: they must come out as they are.
	f = newFile("ci-masked.log")
	f.add("  NPM_TOKEN: ***", keep("NPM_TOKEN: ***"))
	f.add("Authorization: Bearer ***", keep("Authorization: Bearer ***"))
	f.add("$ export DEPLOY_PASSWORD=[secure]", keep("DEPLOY_PASSWORD=[secure]"))
	f.add("+ echo *** | docker login ghcr.io -u example-bot --password-stdin", keep("echo *** | docker login"))
	f.plain("Error: denied: permission_denied: write_package")

	// Write the files and the manifest.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(err)
	}
	manifest := map[string][]Entry{}
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, f.name)
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(strings.Join(f.lines, "\n")+"\n"), 0o644); err != nil {
			panic(err)
		}
		manifest[f.name] = f.entries
	}
	sort.Strings(names)
	data, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(data, '\n'), 0o644); err != nil {
		panic(err)
	}
	kinds := map[string]bool{}
	for _, es := range manifest {
		for _, e := range es {
			kinds[e.Kind] = true
		}
	}
	fmt.Printf("%d files, %d kinds\n", len(names), len(kinds))
}
