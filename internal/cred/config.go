package cred

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/docker/cli/cli/config/configfile"
)

// loadedConfig is one Docker-format config file (config.json or a containers auth.json).
type loadedConfig struct {
	Path   string
	Exists bool
	File   *configfile.ConfigFile // nil when the file is missing or could not be parsed
	Err    error                  // why it could not be used (never contains a secret)
}

// loadConfig reads a Docker-format config file with docker/cli's own parser, and when that
// fails says where (line and column, or the auths key) without quoting any value.
func loadConfig(path string) *loadedConfig {
	lc := &loadedConfig{Path: path}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return lc
		}
		lc.Exists = true
		lc.Err = fmt.Errorf("reading %s: %w", path, unwrapPathErr(err))
		return lc
	}
	lc.Exists = true
	cf, err := ParseConfig(path, data)
	if err != nil {
		lc.Err = err
		return lc
	}
	lc.File = cf
	return lc
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ParseConfig parses a Docker config.json (or containers auth.json) the way docker/cli does.
// Errors name the file and the line, or the auths key whose "auth" field is bad; they never
// contain a value from the file.
func ParseConfig(path string, data []byte) (*configfile.ConfigFile, error) {
	cf := configfile.New(path)
	err := cf.LoadFromReader(bytes.NewReader(data))
	if err == nil {
		return cf, nil
	}
	return nil, describeParseError(path, data, err)
}

func describeParseError(path string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, max(se.Offset-1, 0))
		return fmt.Errorf("%s:%d:%d: invalid JSON: %s", path, line, col, se.Error())
	case errors.As(err, &te):
		line, col := lineCol(data, te.Offset)
		field := te.Field
		if field == "" {
			field = "value"
		}
		return fmt.Errorf("%s:%d:%d: %q must be a JSON %s, not %s", path, line, col, field, te.Type.String(), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, _ := lineCol(data, int64(len(bytes.TrimRight(data, " \t\r\n"))))
		return fmt.Errorf("%s:%d: invalid JSON: unexpected end of file (a missing closing brace or quote?)", path, line)
	}
	// The JSON is fine: an "auth" field did not decode. Find which one.
	if key, why := badAuthKey(data); key != "" {
		line := keyLine(data, key)
		return fmt.Errorf("%s:%d: auths[%q].auth %s; docker/cli refuses the whole file, so every registry fails (%v)", path, line, key, why, err)
	}
	return fmt.Errorf("%s: %v", path, err)
}

// badAuthKey finds the first auths entry (sorted by key) whose auth field docker/cli cannot
// decode, and says why without quoting it.
func badAuthKey(data []byte) (string, string) {
	var raw struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return "", ""
	}
	keys := make([]string, 0, len(raw.Auths))
	for k := range raw.Auths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := raw.Auths[k].Auth
		if a == "" {
			continue
		}
		dec, err := base64.StdEncoding.DecodeString(a)
		if err != nil {
			return k, "is not base64 of user:password"
		}
		user, _, ok := strings.Cut(string(dec), ":")
		if !ok {
			return k, fmt.Sprintf("decodes to %d bytes without a ':' (want base64 of user:password; a bare token?)", len(dec))
		}
		if user == "" {
			return k, "decodes to an empty username (want base64 of user:password)"
		}
	}
	return "", ""
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func keyLine(data []byte, key string) int {
	q, _ := json.Marshal(key)
	if i := bytes.Index(data, q); i >= 0 {
		l, _ := lineCol(data, int64(i))
		return l
	}
	return 1
}
