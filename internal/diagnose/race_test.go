//go:build race

package diagnose_test

// raceEnabled: the race detector changes what allocates and how the heap grows, so the
// memory tests have nothing to measure under it.
const raceEnabled = true
