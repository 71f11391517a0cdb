package logsrc

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("logs", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("secret.log", []byte("x\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
		is         error
	}{
		{"build.log", "open build.log: no such file or directory", fs.ErrNotExist},
		{"logs", "open logs: is a directory", nil},
		{"", "open: empty file name", nil},
	}
	if os.Geteuid() != 0 { // root can read anything
		tests = append(tests, struct {
			path, want string
			is         error
		}{"secret.log", "open secret.log: permission denied", fs.ErrPermission})
	}
	for _, tt := range tests {
		_, err := Open(tt.path, nil)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Open(%q) error = %v, want %q", tt.path, err, tt.want)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("Open(%q) error %v is not %v", tt.path, err, tt.is)
		}
	}
}

func TestOpenStdin(t *testing.T) {
	src, err := Open("-", strings.NewReader("hello\n"))
	if err != nil {
		t.Fatal(err)
	}
	if src.Name != "stdin" || src.Gzip {
		t.Errorf("Name %q Gzip %v", src.Name, src.Gzip)
	}
	b, err := io.ReadAll(src)
	if err != nil || string(b) != "hello\n" {
		t.Errorf("read %q, %v", b, err)
	}
	if err := src.Close(); err != nil {
		t.Error(err)
	}
	if _, err := Open("-", nil); err == nil {
		t.Error("Open(-, nil) succeeded")
	}
}

func TestOpenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "build.log.gz") // name says gzip, content is plain
	if err := os.WriteFile(path, []byte("\x1f plain text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Name != path || src.Gzip {
		t.Errorf("Name %q Gzip %v", src.Name, src.Gzip)
	}
	b, _ := io.ReadAll(src)
	if string(b) != "\x1f plain text\n" {
		t.Errorf("read %q", b)
	}
}

func TestOpenEmptyAndTiny(t *testing.T) {
	for _, in := range []string{"", "\x1f", "a"} {
		src, err := Open("-", strings.NewReader(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		b, err := io.ReadAll(src)
		if err != nil || string(b) != in {
			t.Errorf("%q: read %q, %v", in, b, err)
		}
	}
}

func TestOpenCorruptGzip(t *testing.T) {
	_, err := Open("-", bytes.NewReader([]byte{0x1f, 0x8b, 0, 0}))
	if err == nil || !strings.HasPrefix(err.Error(), "stdin: ") {
		t.Errorf("err = %v", err)
	}
	gz := gzipBytes(t, bytes.Repeat([]byte("some log line\n"), 1000))
	gz[len(gz)-5] ^= 0xff // break the CRC/size trailer
	src, err := Open("-", bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(src)
	if err == nil || !strings.Contains(err.Error(), "stdin: corrupt gzip data") {
		t.Errorf("err = %v", err)
	}
}
