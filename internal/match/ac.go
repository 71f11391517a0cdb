package match

// automaton is an Aho-Corasick DFA over ASCII-case-folded bytes that reports every pattern
// occurring in a line, overlapping ones included, without allocating. (General-purpose
// packages allocate an iterator and a match value per search, which on a 100 MB log means
// millions of allocations; this one runs once per line, so it must not.)
type automaton struct {
	class   [256]uint8 // byte -> column; 0 is every byte no pattern uses
	width   int        // number of columns
	next    []int32    // state*width + column -> state
	outFrom []int32    // outputs of state s are outs[outFrom[s]:outFrom[s+1]]
	hasOut  []bool     // per state: does it report anything
	outs    []int32
}

// newAutomaton builds the DFA for lowercase patterns.
func newAutomaton(patterns []string) *automaton {
	a := &automaton{}
	// Columns: one per distinct byte used, uppercase ASCII sharing its lowercase column.
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			b := p[i]
			if a.class[b] == 0 {
				a.width++
				a.class[b] = uint8(a.width)
				if b >= 'a' && b <= 'z' {
					a.class[b-32] = a.class[b]
				}
			}
		}
	}
	a.width++ // column 0
	if a.width > 256 {
		panic("automaton: too many distinct bytes") // cannot happen: at most 256 byte values
	}

	// Trie, with -1 for a missing edge. There are at most as many states as pattern bytes.
	maxStates := 1
	for _, p := range patterns {
		maxStates += len(p)
	}
	trie := make([]int32, 0, maxStates*a.width)
	own := make([][]int32, 1, maxStates)
	empty := make([]int32, a.width)
	for i := range empty {
		empty[i] = -1
	}
	newState := func() int32 {
		trie = append(trie, empty...)
		return int32(len(trie)/a.width - 1)
	}
	newState()
	for id, p := range patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int(a.class[p[i]])
			if trie[int(s)*a.width+c] < 0 {
				n := newState()
				own = append(own, nil)
				trie[int(s)*a.width+c] = n
			}
			s = trie[int(s)*a.width+c]
		}
		own[s] = append(own[s], int32(id))
	}

	// Breadth-first: fill missing edges from the failure state, merge outputs along it.
	states := len(trie) / a.width
	a.next = trie
	fail := make([]int32, states)
	outputs := make([][]int32, states)
	outputs[0] = own[0]
	queue := make([]int32, 0, states)
	for c := 0; c < a.width; c++ {
		n := a.next[c]
		if n < 0 {
			a.next[c] = 0
			continue
		}
		fail[n] = 0
		queue = append(queue, n)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		outputs[s] = append(append([]int32(nil), own[s]...), outputs[fail[s]]...)
		for c := 0; c < a.width; c++ {
			i := int(s)*a.width + c
			n := a.next[i]
			f := a.next[int(fail[s])*a.width+c]
			if n < 0 {
				a.next[i] = f
				continue
			}
			fail[n] = f
			queue = append(queue, n)
		}
	}
	a.outFrom = make([]int32, states+1)
	a.hasOut = make([]bool, states)
	for s, out := range outputs {
		a.outFrom[s] = int32(len(a.outs))
		a.outs = append(a.outs, out...)
		a.hasOut[s] = len(out) > 0
	}
	a.outFrom[states] = int32(len(a.outs))
	// Entries hold (state*width)<<1 | reports: no multiplication per byte, and whether the
	// new state reports anything without another lookup.
	for i, n := range a.next {
		e := n * int32(a.width) << 1
		if a.hasOut[n] {
			e |= 1
		}
		a.next[i] = e
	}
	return a
}

// each calls fn with the id of every pattern occurrence in text, in order of end position.
func (a *automaton) each(text []byte, fn func(pattern int32)) {
	next, class := a.next, &a.class
	s := int32(0) // state*width
	for _, b := range text {
		e := next[s+int32(class[b])]
		s = e >> 1
		if e&1 != 0 {
			st := s / int32(a.width)
			for _, p := range a.outs[a.outFrom[st]:a.outFrom[st+1]] {
				fn(p)
			}
		}
	}
}
