// Package logsrc reads CI logs and turns them into normalized, numbered lines.
//
// Open gives a byte stream (a file or stdin, gzip detected by content), and
// Scanner splits that stream into raw lines on '\n', strips terminal escape
// sequences and CI-provider markup from each line, and tracks which CI
// step/group/section each line belongs to. Memory use is bounded regardless
// of the size of the log or the length of its lines.
package logsrc

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"unicode/utf8"
)

// Source is an opened log: a file or stdin, transparently decompressed when
// its content is gzip.
type Source struct {
	// Name is what to show the user as the source ("build.log", "stdin").
	Name string
	// Gzip reports whether the content was gzip-compressed.
	Gzip bool
	// Size is the file's size in bytes (compressed, if Gzip), or -1 for stdin.
	Size int64

	r      io.Reader // what Read reads from: br or gz
	br     *bufio.Reader
	gz     *gzip.Reader
	closer io.Closer // the file, nil for stdin
}

// Open opens a log source: a file path, or "-" for stdin (read from the given
// reader). Gzip is detected by content (magic bytes 1f 8b), not by file name.
// Errors are one-liners suitable for users, e.g.
// "open build.log: no such file or directory".
func Open(path string, stdin io.Reader) (*Source, error) {
	if path == "-" {
		if stdin == nil {
			return nil, errors.New("open stdin: no input")
		}
		return newSource("stdin", stdin, nil)
	}
	if path == "" {
		return nil, errors.New("open: empty file name")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, userError(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, userError(err)
	}
	if fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("open %s: is a directory", path)
	}
	s, err := newSource(path, f, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.Size = fi.Size()
	return s, nil
}

func newSource(name string, r io.Reader, c io.Closer) (*Source, error) {
	s := &Source{Name: name, closer: c, Size: -1}
	s.br = bufio.NewReaderSize(r, 64<<10)
	s.r = s.br
	magic, err := s.br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, s.readError(err)
	}
	head := s.br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(s.br)
		if err != nil {
			return nil, s.gzipError(err)
		}
		s.gz, s.Gzip = gz, true
		head = bufio.NewReaderSize(gz, 64<<10)
		s.r = head
	}
	// A binary file (an executable, an archive, random bytes) is not a log: say so rather
	// than report that nothing matched.
	b, err := head.Peek(binarySniff)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		if s.gz != nil {
			return nil, s.gzipError(err)
		}
		return nil, s.readError(err)
	}
	if what := binaryKind(b); what != "" {
		return nil, &SourceError{Name: name, Msg: "not a text log", Err: errors.New(what)}
	}
	return s, nil
}

// binarySniff is how much of the start of a log is looked at to tell binary data from text.
const binarySniff = 8 << 10

// binaryKind says what binary data b (the start of a file) is, or "" for text. Logs may
// hold a few NUL bytes, control characters or invalid UTF-8 (a crashed program's output, a
// Docker stream header); only a known binary format, or a start where more than one byte in
// ten is neither text nor an escape sequence, is binary.
func binaryKind(b []byte) string {
	for _, m := range binaryMagic {
		if bytes.HasPrefix(b, []byte(m.magic)) {
			return m.what
		}
	}
	if len(b) < 32 {
		return ""
	}
	bad := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b && c != '\b' || c == 0x7f {
				bad++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 && len(b)-i >= utf8.UTFMax {
			bad++
		}
		i += n
	}
	if bad*10 > len(b) {
		return "binary data"
	}
	return ""
}

var binaryMagic = []struct{ magic, what string }{
	{"\x7fELF", "an ELF executable"},
	{"MZ\x90\x00", "a Windows executable"},
	{"\xcf\xfa\xed\xfe", "a Mach-O executable"},
	{"\xca\xfe\xba\xbe", "a Mach-O or Java class file"},
	{"PK\x03\x04", "a zip archive"},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
	{"\xfd7zXZ\x00", "xz data (decompress it first)"},
	{"\x28\xb5\x2f\xfd", "zstd data (decompress it first)"},
	{"\x89PNG", "a PNG image"},
	{"%PDF-", "a PDF document"},
}

// Read reads decompressed bytes of the log.
func (s *Source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		if s.gz != nil {
			err = s.gzipError(err)
		} else {
			err = s.readError(err)
		}
	}
	return n, err
}

// Close closes the underlying file (stdin is left open).
func (s *Source) Close() error {
	var err error
	if s.gz != nil {
		err = s.gz.Close()
	}
	if s.closer != nil {
		if cerr := s.closer.Close(); err == nil {
			err = cerr
		}
		s.closer = nil
	}
	return err
}

// gzipError turns a decompression error into a one-line message naming the
// source. The original error stays reachable through errors.Is/As.
func (s *Source) gzipError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return userError(err)
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &SourceError{Name: s.Name, Msg: "truncated gzip data", Err: io.ErrUnexpectedEOF}
	default:
		return &SourceError{Name: s.Name, Msg: "corrupt gzip data", Err: err}
	}
}

func (s *Source) readError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return userError(err)
	}
	return &SourceError{Name: s.Name, Msg: "read error", Err: err}
}

// SourceError is a read or decompression error of a Source.
type SourceError struct {
	Name string // the source's Name
	Msg  string // what went wrong, e.g. "truncated gzip data"
	Err  error  // the underlying error
}

func (e *SourceError) Error() string {
	return e.Name + ": " + e.Msg + ": " + e.Err.Error()
}

func (e *SourceError) Unwrap() error { return e.Err }

// userError shortens OS errors to "op path: reason" with a plain reason.
func userError(err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return err
	}
	reason := pe.Err
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason = errors.New("no such file or directory")
	case errors.Is(err, fs.ErrPermission):
		reason = errors.New("permission denied")
	}
	return &fs.PathError{Op: pe.Op, Path: pe.Path, Err: errWrap{reason, pe.Err}}
}

// errWrap prints msg but still unwraps to the original error.
type errWrap struct {
	msg  error
	orig error
}

func (e errWrap) Error() string { return e.msg.Error() }
func (e errWrap) Unwrap() error { return e.orig }
