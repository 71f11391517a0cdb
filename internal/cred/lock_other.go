//go:build !unix

package cred

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// lockFile takes an exclusive lock by creating path exclusively, waiting up to timeout. A
// lock file older than a minute is taken to be left by a crashed process and removed.
func lockFile(path string, timeout time.Duration) (unlock func(), err error) {
	deadline := time.Now().Add(timeout)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_ = f.Close()
			return func() { _ = os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", path, unwrapPathErr(err))
		}
		if fi, serr := os.Stat(path); serr == nil && time.Since(fi.ModTime()) > time.Minute {
			_ = os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another sleuth is changing the credential store (%s exists); try again, or delete it if no sleuth is running", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func syncDir(string) {}
