package redact

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// All secrets in these tests are generated: random values in the documented formats,
// never real credentials.

const (
	alnum    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	lowerAln = "0123456789abcdefghijklmnopqrstuvwxyz"
	hexDigit = "0123456789abcdef"
	b64      = alnum + "+/"
	b64url   = alnum + "-_"
	awsID    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	digits   = "0123456789"
)

// gen produces deterministic fake secrets.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) s(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *gen) jwt() string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"` + g.s(hexDigit, 8) + `"}`))
	p := enc.EncodeToString([]byte(`{"sub":"repo:example-org/app:ref:refs/heads/main","aud":"sts.amazonaws.com","exp":1700000000,"jti":"` + g.s(hexDigit, 16) + `"}`))
	return h + "." + p + "." + g.s(b64url, 86)
}

type secretCase struct {
	name   string
	in     string
	secret string // must not occur in the output
	kind   string // marker kind that replaces it
	want   string // expected output; default: in with secret replaced by the marker
}

func secretCases() []secretCase {
	g := newGen(42)
	ghp := "ghp_" + g.s(alnum, 36)
	gho := "gho_" + g.s(alnum, 36)
	ghu := "ghu_" + g.s(alnum, 36)
	ghs := "ghs_" + g.s(alnum, 36)
	ghr := "ghr_" + g.s(alnum, 36)
	ghPAT := "github_pat_" + g.s(alnum, 22) + "_" + g.s(alnum, 59)
	glpat := "glpat-" + g.s(alnum+"-_", 20)
	glpatRoutable := "glpat-" + g.s(alnum, 27) + ".01." + g.s(lowerAln, 9)
	gldt := "gldt-" + g.s(alnum, 20)
	glrt := "glrt-t1_" + g.s(alnum, 20)
	glcbt := "glcbt-64_" + g.s(alnum, 20)
	glptt := "glptt-" + g.s(hexDigit, 40)
	grReg := "GR1348941" + g.s(alnum, 20)
	npmTok := "npm_" + g.s(alnum, 36)
	pypiTok := "pypi-AgEIcHlwaS5vcmc" + g.s(b64url, 120)
	akia := "AKIA" + g.s(awsID, 16)
	asia := "ASIA" + g.s(awsID, 16)
	awsSecret := g.s(b64, 40)
	awsSession := "IQoJb3JpZ2luX2Vj" + g.s(b64, 300)
	xoxb := "xoxb-" + g.s(digits, 11) + "-" + g.s(digits, 13) + "-" + g.s(alnum, 24)
	xoxp := "xoxp-" + g.s(digits, 11) + "-" + g.s(digits, 11) + "-" + g.s(digits, 13) + "-" + g.s(hexDigit, 32)
	slackHook := "T" + g.s(awsID, 8) + "/B" + g.s(awsID, 10) + "/" + g.s(alnum, 24)
	dckrPat := "dckr_pat_" + g.s(b64url, 27)
	dckrOat := "dckr_oat_" + g.s(b64url, 32)
	jwt := g.jwt()
	rubygems := "rubygems_" + g.s(hexDigit, 48)
	nuget := "oy2" + g.s(lowerAln, 43)
	gcpKey := "AIza" + g.s(b64url, 35)
	doTok := "dop_v1_" + g.s(hexDigit, 64)
	pulumi := "pul-" + g.s(hexDigit, 40)
	acr := g.s(b64, 42) + "+ACR" + g.s(alnum, 6)
	sasSig := g.s(alnum, 20) + "%2B" + g.s(alnum, 20) + "%3D"
	accountKey := g.s(b64, 86) + "=="
	dockerAuth := base64.StdEncoding.EncodeToString([]byte("ci-bot:" + g.s(alnum, 24)))
	identityToken := g.s(b64url, 64)
	npmAuth := base64.StdEncoding.EncodeToString([]byte("deploy:" + g.s(alnum, 16)))
	npmPassword := base64.StdEncoding.EncodeToString([]byte(g.s(alnum, 18)))
	basic := base64.StdEncoding.EncodeToString([]byte("builder:" + g.s(alnum, 20)))
	opaque := g.s(alnum, 40)
	pw := func() string { return g.s(alnum, 6) + "!" + g.s(alnum, 8) }
	p1, p2, p3, p4, p5, p6, p7, p8, p9, p10 := pw(), pw(), pw(), pw(), pw(), pw(), pw(), pw(), pw(), pw()
	p11, p12, p13, p14, p15, p16 := pw(), pw(), pw(), pw(), pw(), pw()
	urlTok := g.s(alnum, 32)
	pemBody := g.s(b64, 64)
	gcpPEM := `-----BEGIN PRIVATE KEY-----\n` + pemBody + `\n` + g.s(b64, 64) + `\n-----END PRIVATE KEY-----\n`
	apiKey := g.s(hexDigit, 32)
	clientSecret := g.s(alnum+"~._-", 34)
	presign := g.s(hexDigit, 64)

	return []secretCase{
		// GitHub
		{name: "ghp env", in: "export GITHUB_TOKEN=" + ghp, secret: ghp, kind: "github-token"},
		{name: "gho config", in: "    oauth_token: " + gho, secret: gho, kind: "github-token"},
		{name: "ghu in error", in: "Error: Bad credentials for token " + ghu + " (401)", secret: ghu, kind: "github-token"},
		{name: "ghs in url", in: "git remote set-url origin https://x-access-token:" + ghs + "@github.com/example-org/app.git", secret: ghs, kind: "github-token"},
		{name: "ghr json", in: `{"refresh_token":"` + ghr + `","expires_in":15811200}`, secret: ghr, kind: "github-token"},
		{name: "fine-grained pat", in: "gh auth login --with-token <<< " + ghPAT, secret: ghPAT, kind: "github-token"},
		{name: "lone token url", in: "Cloning into 'app'... https://" + ghp + "@github.com/example-org/app.git", secret: ghp, kind: "github-token"},
		// GitLab
		{name: "glpat header", in: `curl --header "PRIVATE-TOKEN: ` + glpat + `" https://gitlab.example.com/api/v4/projects`, secret: glpat, kind: "gitlab-token"},
		{name: "glpat routable", in: "GITLAB_TOKEN=" + glpatRoutable, secret: glpatRoutable, kind: "gitlab-token"},
		{name: "gldt", in: "deploy token " + gldt + " created", secret: gldt, kind: "gitlab-token"},
		{name: "glrt", in: "gitlab-runner register --token " + glrt + " --url https://gitlab.example.com", secret: glrt, kind: "gitlab-token"},
		{name: "glcbt url", in: "fatal: unable to access 'https://gitlab-ci-token:" + glcbt + "@gitlab.example.com/g/p.git/': 403", secret: glcbt, kind: "gitlab-token"},
		{name: "glptt", in: "curl -X POST -F token=" + glptt + " -F ref=main https://gitlab.example.com/api/v4/projects/1/trigger/pipeline", secret: glptt, kind: "gitlab-token"},
		{name: "runner registration", in: "Registering runner... registration-token=" + grReg, secret: grReg, kind: "gitlab-token"},
		// npm, PyPI, RubyGems, NuGet
		{name: "npm token echo", in: "+ echo " + npmTok + " | npm login", secret: npmTok, kind: "npm-token"},
		{name: "npmrc authToken", in: "//npm-registry.example/:_authToken=" + opaque, secret: opaque, kind: "npm-token"},
		{name: "npmrc _auth", in: "_auth=" + npmAuth, secret: npmAuth, kind: "npm-auth"},
		{name: "npmrc _password", in: "//npm-registry.example/:_password=" + npmPassword, secret: npmPassword, kind: "npm-password"},
		{name: "pypi twine", in: "TWINE_PASSWORD=" + pypiTok, secret: pypiTok, kind: "pypi-token"},
		{name: "pypirc", in: "password = " + pypiTok, secret: pypiTok, kind: "pypi-token"},
		{name: "rubygems", in: "GEM_HOST_API_KEY: " + rubygems, secret: rubygems, kind: "rubygems-token"},
		{name: "nuget push", in: "dotnet nuget push pkg.nupkg --api-key " + nuget + " --source https://nuget.example/v3/index.json", secret: nuget, kind: "nuget-api-key"},
		// AWS
		{name: "aws key id", in: "aws_access_key_id = " + akia, secret: akia, kind: "aws-access-key-id"},
		{name: "aws sts key id", in: `        "AccessKeyId": "` + asia + `",`, secret: asia, kind: "aws-access-key-id"},
		{name: "aws secret ini", in: "aws_secret_access_key = " + awsSecret, secret: awsSecret, kind: "aws-secret-access-key"},
		{name: "aws secret env", in: "AWS_SECRET_ACCESS_KEY=" + awsSecret, secret: awsSecret, kind: "aws-secret-access-key"},
		{name: "aws secret json", in: `        "SecretAccessKey": "` + awsSecret + `",`, secret: awsSecret, kind: "aws-secret-access-key"},
		{name: "aws session env", in: "  AWS_SESSION_TOKEN: " + awsSession, secret: awsSession, kind: "aws-session-token"},
		{name: "aws session json", in: `        "SessionToken": "` + awsSession + `",`, secret: awsSession, kind: "aws-session-token"},
		// Slack
		{name: "slack bot", in: "SLACK_BOT_TOKEN=" + xoxb, secret: xoxb, kind: "slack-token"},
		{name: "slack user", in: `curl -d "token=` + xoxp + `&channel=C123" https://slack.example/api/chat.postMessage`, secret: xoxp, kind: "slack-token"},
		{name: "slack webhook", in: "curl -X POST https://hooks.slack.com/services/" + slackHook + " -d @payload.json", secret: slackHook, kind: "slack-webhook"},
		// Docker
		{name: "docker hub pat", in: "echo " + dckrPat + " | docker login -u bot --password-stdin", secret: dckrPat, kind: "docker-hub-token"},
		{name: "docker hub oat", in: "DOCKERHUB_TOKEN: " + dckrOat, secret: dckrOat, kind: "docker-hub-token"},
		{name: "docker config auth", in: `		"ghcr.io": {"auth": "` + dockerAuth + `"}`, secret: dockerAuth, kind: "docker-auth"},
		{name: "docker identitytoken", in: `  "https://index.docker.example/v1/": {"identitytoken": "` + identityToken + `"}`, secret: identityToken, kind: "docker-identity-token"},
		{name: "acr admin password", in: "az acr credential show: password " + acr, secret: acr, kind: "acr-password"},
		{name: "docker login -p", in: "+ docker login -u ci-bot -p " + p1 + " registry.example.com", secret: p1, kind: "password"},
		{name: "docker login -p=", in: "docker login registry.example.com --username ci-bot -p=" + p2, secret: p2, kind: "password"},
		{name: "helm registry login", in: "helm registry login registry.example.com -u bot -p '" + p3 + "'", secret: p3, kind: "password"},
		// JWT
		{name: "jwt bearer", in: `curl -H "Authorization: Bearer ` + jwt + `" https://api.example.com/v1/me`, secret: jwt, kind: "jwt"},
		{name: "jwt oidc", in: "ACTIONS_ID_TOKEN=" + jwt, secret: jwt, kind: "jwt"},
		// Authorization headers
		{name: "basic header", in: "> Authorization: Basic " + basic, secret: basic, kind: "basic-auth"},
		{name: "bearer header -H", in: "curl -sSf -H 'Authorization: Bearer " + opaque + "' https://api.example.com", secret: opaque, kind: "bearer-token"},
		{name: "token header --header", in: `curl --header "Authorization: token ` + opaque + `" https://api.example.com/repos`, secret: opaque, kind: "token"},
		{name: "header json", in: `{"headers": {"Authorization": "Bearer ` + opaque + `"}}`, secret: opaque, kind: "bearer-token"},
		// URLs with credentials
		{name: "url user pass", in: "git clone https://ci-bot:" + p4 + "@git.example.com/team/app.git", secret: p4, kind: "url-password"},
		{name: "db url", in: "DATABASE_URL=postgres://app:" + p5 + "@db.internal:5432/app?sslmode=disable", secret: p5, kind: "url-password"},
		{name: "url lone token", in: "fatal: repository 'https://" + urlTok + "@github.com/example-org/app.git/' not found", secret: urlTok, kind: "url-token"},
		// GCP, Azure, others
		{name: "gcp private_key", in: `  "private_key": "` + gcpPEM + `",`, secret: pemBody, kind: "private-key",
			want: `  "private_key": "[REDACTED:private-key]",`},
		{name: "gcp api key", in: "GOOGLE_MAPS_KEY " + gcpKey, secret: gcpKey, kind: "gcp-api-key"},
		{name: "azure sas", in: "azcopy copy 'https://acct.blob.core.windows.net/c/b.tgz?sv=2022-11-02&ss=b&srt=co&sp=r&se=2030-01-01T00:00:00Z&sig=" + sasSig + "' .", secret: sasSig, kind: "sas-signature"},
		{name: "azure conn string", in: "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + accountKey + ";EndpointSuffix=core.windows.net", secret: accountKey, kind: "azure-key"},
		{name: "presigned s3", in: "GET https://bucket.s3.amazonaws.com/a.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-Signature=" + presign, secret: presign, kind: "url-signature"},
		{name: "digitalocean", in: "doctl auth init -t " + doTok, secret: doTok, kind: "digitalocean-token"},
		{name: "pulumi", in: "PULUMI_ACCESS_TOKEN=" + pulumi, secret: pulumi, kind: "pulumi-token"},
		// Command-line passwords and env dumps
		{name: "--password value", in: "helm repo add private https://charts.example.com --username bot --password " + p6, secret: p6, kind: "password"},
		{name: "--password=value", in: "skopeo copy --dest-creds bot --password=" + p7 + " docker://a docker://b", secret: p7, kind: "password"},
		{name: "password=value", in: "jdbc connect user=app password=" + p8 + " host=db", secret: p8, kind: "password"},
		{name: "PASSWORD: env dump", in: "  DB_PASSWORD: " + p9, secret: p9, kind: "password"},
		{name: "yaml password", in: "    password: " + p10, secret: p10, kind: "password"},
		{name: "SECRET env", in: "CLIENT_SECRET=" + clientSecret, secret: clientSecret, kind: "secret"},
		{name: "API_KEY env", in: "  SENDGRID_API_KEY: " + apiKey, secret: apiKey, kind: "api-key"},
		{name: "x-api-key header", in: `curl -H "X-API-Key: ` + apiKey + `" https://api.example.com`, secret: apiKey, kind: "api-key"},
		{name: "PRIVATE_KEY env", in: "DEPLOY_PRIVATE_KEY=" + p11, secret: p11, kind: "private-key"},
		{name: "CREDENTIALS env", in: "REGISTRY_CREDENTIALS=" + p12, secret: p12, kind: "credentials"},
		{name: "json password", in: `{"username":"bot","password":"` + p13 + `"}`, secret: p13, kind: "password"},
		{name: "curl -u", in: "curl -fsSL -u deploy:" + p14 + " https://repo.example.com/artifact.zip", secret: p14, kind: "password"},
		{name: "mysql -p", in: "mysql -h 127.0.0.1 -u root -p" + p15 + " -e 'CREATE DATABASE app'", secret: p15, kind: "password"},
		{name: "netrc", in: "machine git.example.com login ci-bot password " + p16, secret: p16, kind: "netrc-password"},
		{name: "query access_token", in: "GET /api/v4/user?access_token=" + opaque + "&per_page=100", secret: opaque, kind: "token"},
		{name: "private key one line", in: "-----BEGIN OPENSSH PRIVATE KEY-----" + pemBody, secret: pemBody, kind: "private-key"},
	}
}

func TestStringSecrets(t *testing.T) {
	cases := secretCases()
	if len(cases) < 60 {
		t.Fatalf("only %d secret cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(c.in, c.secret) {
				t.Fatalf("bad case: secret not in input")
			}
			got := String(c.in)
			if strings.Contains(got, c.secret) {
				t.Fatalf("secret leaked:\n in: %s\nout: %s", c.in, got)
			}
			if !strings.Contains(got, marker(c.kind)) {
				t.Errorf("want marker %s:\nout: %s", marker(c.kind), got)
			}
			want := c.want
			if want == "" {
				want = strings.Replace(c.in, c.secret, marker(c.kind), 1)
			}
			if got != want {
				t.Errorf("surrounding text changed:\n in: %s\ngot: %s\nwant: %s", c.in, got, want)
			}
			if again := String(got); again != got {
				t.Errorf("not idempotent:\n once: %s\ntwice: %s", got, again)
			}
		})
	}
}

// cleanLines look like secrets or mention them, but must come back unchanged.
var cleanLines = []string{
	"HEAD is now at 3f4e2a1c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f Merge pull request #42 from example-org/fix",
	"Download action repository 'actions/checkout@v4' (SHA:11bd71901bbe5b1630ceea73d27597364c9af683)",
	"#7 writing image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 done",
	"Digest: sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"Run docker/login-action@v3",
	"echo \"$CR_PAT\" | docker login ghcr.io -u example-bot --password-stdin",
	"WARNING! Using --password via the CLI is insecure. Use --password-stdin.",
	"  token: ***",
	"    password: ***",
	"  NODE_AUTH_TOKEN: XXXXX-XXXXX-XXXXX-XXXXX",
	"$ export DEPLOY_PASSWORD=[secure]",
	"Fetching changes with git depth set to 20... https://gitlab-ci-token:[MASKED]@gitlab.example.com/g/p.git",
	"request id 123e4567-e89b-12d3-a456-426614174000 failed",
	"payload aGVsbG8gd29ybGQ= decoded",
	"Downloading https://npm-registry.example/@scope%2fpkg/-/pkg-1.2.3.tgz",
	"go: downloading golang.org/x/sys v0.49.0",
	"Cloning into 'app'... ssh://git@github.com/example-org/app.git",
	"git@github.com: Permission denied (publickey).",
	"remote: Invalid username or password.",
	"fatal: Authentication failed for 'https://github.com/example-org/app.git/'",
	"Error: Cannot perform an interactive login from a non TTY device",
	"Error: invalid token: expired",
	"Secret source: Actions",
	"##[group]GITHUB_TOKEN Permissions",
	"WARNING! Your password will be stored unencrypted in /root/.docker/config.json.",
	"--- PASS: TestTokenRefresh (0.01s)",
	"docker run --rm -p 8080:80 nginx:1.27",
	"mkdir -p /tmp/build && cd /tmp/build",
	`  "token_uri": "https://oauth2.googleapis.example/token",`,
	"password=${DB_PASSWORD}",
	"  api_key: ${{ secrets.API_KEY }}",
	"TOKEN_TYPE=bearer",
	"GOOGLE_APPLICATION_CREDENTIALS=/home/runner/work/_temp/gcp-key.json",
	"if [ -z \"$NPM_TOKEN\" ]; then echo missing; fi",
	"kubectl create secret generic app-secret --from-file=key.json",
	"Enter passphrase for key '/root/.ssh/id_rsa':",
	"-----BEGIN CERTIFICATE-----",
	"-----END RSA PRIVATE KEY-----",
	"npm ERR! code E401 Unable to authenticate, need: Basic realm=\"npm\"",
	"Installing node v20.11.1 (npm v10.2.4)",
	"token=<your-token>",
	"Authorization: Bearer ***",
	"url = https://example.com/app?ref=main&debug=true",
	"tokenizer=bpe vocab=32000",
	"password-stdin=true",
	"git config --global credential.helper store",
	"Username for 'https://github.com': ",
	// From real Travis CI logs.
	"2019-07-08 08:18:44.697 [info] <0.2441.0>@ejabberd_c2s:process_auth_result:263 (tcp|<0.2441.0>) Accepted c2s PLAIN authentication",
	"Configure options: --prefix=/usr --with-timeout=15 --with-password-timeout=0 --with-passprompt=[sudo] password for %p:",
	"[warn] /home/travis/util/security/PrivateKeyFile.scala:47:3: Could not find any member to link",
	" Now visit http://localhost:10000/index.html?encoding=png&password=<PASSWORD>\x1b[m",
	"Number of tries to enter a password: 3",
	"DEBUG flashlight: settings.go:135 Read settings message!! map[systemProxy:false userToken:token autoReport:true]",
	"tokenfilter: tokenfilter.go:59",
}

func TestStringClean(t *testing.T) {
	if len(cleanLines) < 20 {
		t.Fatalf("only %d clean lines", len(cleanLines))
	}
	for _, l := range cleanLines {
		if got := String(l); got != l {
			t.Errorf("changed a clean line:\n in: %s\nout: %s", l, got)
		}
	}
}

func TestStringCleanNoAlloc(t *testing.T) {
	line := "2024-05-01T12:00:00.1234567Z npm ERR! 404 Not Found - GET https://npm-registry.example/pkg - Not found"
	if n := testing.AllocsPerRun(100, func() { _ = String(line) }); n != 0 {
		t.Errorf("String allocates %v times on a clean line", n)
	}
}

func TestStream(t *testing.T) {
	g := newGen(7)
	body := []string{g.s(b64, 64), g.s(b64, 64), g.s(b64, 40) + "=="}
	in := []string{
		"2024-05-01T12:00:00.0000000Z + cat deploy_key",
		"2024-05-01T12:00:00.0000000Z -----BEGIN RSA PRIVATE KEY-----",
		"2024-05-01T12:00:00.0000000Z " + body[0],
		"2024-05-01T12:00:00.0000000Z " + body[1],
		"2024-05-01T12:00:00.0000000Z " + body[2],
		"2024-05-01T12:00:00.0000000Z -----END RSA PRIVATE KEY-----",
		"2024-05-01T12:00:00.0000000Z Load key \"deploy_key\": invalid format",
		"    -----BEGIN OPENSSH PRIVATE KEY-----",
		"    " + body[0],
		"    " + body[1] + "-----END OPENSSH PRIVATE KEY-----",
		"done",
	}
	want := []string{
		in[0], in[1],
		"2024-05-01T12:00:00.0000000Z [REDACTED:private-key]",
		"2024-05-01T12:00:00.0000000Z [REDACTED:private-key]",
		"2024-05-01T12:00:00.0000000Z [REDACTED:private-key]",
		in[5], in[6], in[7],
		"    [REDACTED:private-key]",
		"    [REDACTED:private-key]-----END OPENSSH PRIVATE KEY-----",
		"done",
	}
	var st Stream
	for i, l := range in {
		if got := st.Line(l); got != want[i] {
			t.Errorf("line %d:\n got: %s\nwant: %s", i, got, want[i])
		}
	}
}

func TestStreamMentionDoesNotOpenBlock(t *testing.T) {
	var st Stream
	lines := []string{
		"error: expected -----BEGIN RSA PRIVATE KEY----- header in key file",
		"npm ERR! code E401",
	}
	for _, l := range lines {
		if got := st.Line(l); got != l {
			t.Errorf("changed %q to %q", l, got)
		}
	}
}

func TestStreamUnterminatedBlockEnds(t *testing.T) {
	var st Stream
	st.Line("-----BEGIN PRIVATE KEY-----")
	for i := 0; i < maxKeyLines; i++ {
		if got := st.Line("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC"); got != marker("private-key") {
			t.Fatalf("line %d not masked: %s", i, got)
		}
	}
	if got := st.Line("npm ERR! code E401"); got != "npm ERR! code E401" {
		t.Errorf("block did not end after %d lines: %s", maxKeyLines, got)
	}
}

func TestMultiLineString(t *testing.T) {
	g := newGen(9)
	b1, b2 := g.s(b64, 64), g.s(b64, 64)
	in := "key:\n-----BEGIN EC PRIVATE KEY-----\n" + b1 + "\n" + b2 + "\n-----END EC PRIVATE KEY-----\nok"
	want := "key:\n-----BEGIN EC PRIVATE KEY-----\n[REDACTED:private-key]\n[REDACTED:private-key]\n-----END EC PRIVATE KEY-----\nok"
	if got := String(in); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestPrefilterSound checks that the prefilter never hides a rule that would match.
func TestPrefilterSound(t *testing.T) {
	var all []string
	for _, c := range secretCases() {
		all = append(all, c.in)
	}
	all = append(all, cleanLines...)
	for _, l := range all {
		if got, want := String(l), fixpoint(l, scanAll(l), scanAll); got != want {
			t.Errorf("prefilter changes the result:\n in: %s\ngot: %s\nall: %s", l, got, want)
		}
	}
}

// Docker's own message about a missing credential helper names the helper program; nothing
// in it is secret.
func TestCredentialHelperMessageIsKept(t *testing.T) {
	for _, line := range []string{
		`error getting credentials - err: exec: "docker-credential-desktop": executable file not found in $PATH, out: ` + "``",
		`exec: "docker-credential-gcloud": executable file not found in %PATH%`,
	} {
		if got := String(line); got != line {
			t.Errorf("String(%q) = %q, want it unchanged", line, got)
		}
	}
}

// Values that say "no secret here" are kept: an ellipsis in docs, an anonymous token.
func TestNotSecretValuesAreKept(t *testing.T) {
	for _, line := range []string{
		"(or a netrc entry `machine pypi.example login __token__ password ...`), never typed into a prompt.",
		"fs = gcsfs.GCSFileSystem(token='anon')",
		"password: …",
	} {
		if got := String(line); got != line {
			t.Errorf("String(%q) = %q, want it unchanged", line, got)
		}
	}
}
