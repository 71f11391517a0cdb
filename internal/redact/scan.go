package redact

// The prefilter. Every rule declares the keywords (lower-case, matched ASCII
// case-insensitively) without which it cannot match. All keywords are indexed by their
// first two bytes in a 64 Ki table, so a clean line costs one table load per byte; only
// at a position whose byte pair starts some keyword are the few keywords of that pair
// compared. The result is a bit set of the rules worth running.

type keyword struct {
	text  string                       // lower-case
	mask  uint64                       // rules this keyword enables
	check func(s string, end int) bool // optional confirmation; end follows the keyword
}

var (
	lowerTab [256]byte
	// pairSlot maps the first two bytes of a keyword (any letter case) to 1+index in slots.
	pairSlot [1 << 16]uint8
	slots    [][]keyword
)

func init() {
	for i := range lowerTab {
		c := byte(i)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lowerTab[i] = c
	}
	if len(rules) > 64 {
		panic("redact: more than 64 rules")
	}
	for i, r := range rules {
		for _, kw := range r.keywords {
			addKeyword(kw, uint64(1)<<uint(i), r.check)
		}
	}
}

func addKeyword(text string, mask uint64, check func(string, int) bool) {
	if len(text) < 2 {
		panic("redact: keyword shorter than two bytes: " + text)
	}
	for i := 0; i < len(text); i++ {
		if lowerTab[text[i]] != text[i] {
			panic("redact: keyword not lower-case: " + text)
		}
	}
	lo := uint16(text[0])<<8 | uint16(text[1])
	slot := pairSlot[lo]
	if slot == 0 {
		slots = append(slots, nil)
		if len(slots) > 255 {
			panic("redact: too many keyword pairs")
		}
		slot = uint8(len(slots))
	}
	// Merge with an existing identical keyword (same text and check).
	list := slots[slot-1]
	merged := false
	for j := range list {
		if list[j].text == text && check == nil && list[j].check == nil {
			list[j].mask |= mask
			merged = true
		}
	}
	if !merged {
		list = append(list, keyword{text: text, mask: mask, check: check})
	}
	slots[slot-1] = list
	for _, a := range caseVariants(text[0]) {
		for _, b := range caseVariants(text[1]) {
			pairSlot[uint16(a)<<8|uint16(b)] = slot
		}
	}
}

func caseVariants(c byte) []byte {
	if c >= 'a' && c <= 'z' {
		return []byte{c, c - ('a' - 'A')}
	}
	return []byte{c}
}

// scan returns the set of rules whose keywords occur in s.
func scan(s string) uint64 {
	if len(s) < 2 {
		return 0
	}
	var m uint64
	prev := s[0]
	for i := 1; i < len(s); i++ {
		c := s[i]
		slot := pairSlot[uint16(prev)<<8|uint16(c)]
		prev = c
		if slot == 0 {
			continue
		}
		for _, k := range slots[slot-1] {
			if m&k.mask == k.mask {
				continue
			}
			if hasPrefixFold(s[i-1:], k.text) && (k.check == nil || k.check(s, i-1+len(k.text))) {
				m |= k.mask
			}
		}
	}
	return m
}

// scanAll enables every rule; tests use it to check that the prefilter never hides a match.
func scanAll(string) uint64 { return uint64(1)<<uint(len(rules)) - 1 }

// hasPrefixFold reports whether s starts with the lower-case ASCII string p, ignoring
// ASCII case in s.
func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if lowerTab[s[i]] != p[i] {
			return false
		}
	}
	return true
}

// indexFold returns the index of the first occurrence of lower-case p in s at or after
// from, ignoring ASCII case in s, or -1.
func indexFold(s, p string, from int) int {
	if p == "" {
		return from
	}
	c0 := p[0]
	for i := from; i+len(p) <= len(s); i++ {
		if lowerTab[s[i]] == c0 && hasPrefixFold(s[i:], p) {
			return i
		}
	}
	return -1
}
