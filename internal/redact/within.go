package redact

import "strings"

// Within returns part, a piece cut out of context (a capture taken from a log line), with
// every byte masked that String masks in context. A value cut away from the key that
// makes it a secret ("password=", "Authorization: Basic", "https://user:") stays masked,
// with the kind the whole line gave it. When part does not occur in context, Within is
// String(part).
func Within(context, part string) string {
	at := strings.Index(context, part)
	if at < 0 || part == "" {
		return String(part)
	}
	red := String(context)
	if red == context {
		return String(part)
	}
	spans, ok := maskedSpans(context, red)
	if !ok {
		// The masked line could not be aligned with the original: mask all of part rather
		// than guess.
		return marker(firstKind(red))
	}
	var e edits
	for _, sp := range spans {
		a, b := max(sp.a, at), min(sp.b, at+len(part))
		if a < b {
			e.add(a-at, b-at, sp.kind)
		}
	}
	return String(e.apply(part))
}

// maskedSpans aligns red = String(orig) with orig and returns the spans of orig that were
// replaced by markers. Text between markers is unchanged by String, which is what anchors
// the alignment.
func maskedSpans(orig, red string) ([]edit, bool) {
	var spans []edit
	i, j := 0, 0
	for {
		k := strings.Index(red[j:], markerPrefix)
		if k < 0 {
			return spans, orig[i:] == red[j:]
		}
		if orig[i:min(i+k, len(orig))] != red[j:j+k] {
			return nil, false
		}
		i, j = i+k, j+k
		end := strings.IndexByte(red[j:], ']')
		if end < 0 {
			return nil, false
		}
		mk := red[j : j+end+1]
		if strings.HasPrefix(orig[i:], mk) { // a marker that was already there
			i, j = i+len(mk), j+len(mk)
			continue
		}
		kind := mk[len(markerPrefix) : len(mk)-1]
		j += len(mk)
		// Adjacent markers make one span.
		for strings.HasPrefix(red[j:], markerPrefix) {
			e := strings.IndexByte(red[j:], ']')
			if e < 0 {
				return nil, false
			}
			j += e + 1
		}
		next := strings.Index(red[j:], markerPrefix)
		lit := red[j:]
		if next >= 0 {
			lit = red[j : j+next]
		}
		var stop int
		switch {
		case next < 0 && lit == "":
			stop = len(orig)
		case next < 0:
			if !strings.HasSuffix(orig, lit) || len(orig)-len(lit) <= i {
				return nil, false
			}
			stop = len(orig) - len(lit)
		default:
			p := strings.Index(orig[min(i+1, len(orig)):], lit)
			if p < 0 {
				return nil, false
			}
			stop = min(i+1, len(orig)) + p
		}
		spans = append(spans, edit{i, stop, kind})
		i = stop
	}
}

func firstKind(red string) string {
	k := strings.Index(red, markerPrefix)
	if k < 0 {
		return "secret"
	}
	e := strings.IndexByte(red[k:], ']')
	if e < 0 {
		return "secret"
	}
	return red[k+len(markerPrefix) : k+e]
}
