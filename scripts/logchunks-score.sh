#!/usr/bin/env bash
# Score sleuth's evidence lines on the LogChunks development split.
#
# usage: scripts/logchunks-score.sh [LOGCHUNKS_DIR]
#
# Builds sleuth, runs `sleuth analyze --json` on every log, writes pred.jsonl (evidence_lines =
# the top diagnosis's evidence, then the first line of each other diagnosis, then the hints,
# deduplicated in that order) and scores it with the data set's score.py. Then prints how many
# logs got a diagnosis and how many only hints, hit@1 per group, and the diagnosed logs whose
# first evidence line lies outside the labelled chunk (likely false diagnoses).
#
# The logs are read in place; nothing is copied into the repository.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$root/../shared/logchunks"}
dir=$(cd "$dir" && pwd)
out=${OUT:-"$(mktemp -d)"}
go=${GO:-go}
command -v "$go" >/dev/null 2>&1 || go=/usr/local/go/bin/go

bin="$out/sleuth"
(cd "$root" && "$go" build -o "$bin" ./cmd/sleuth)

analyses="$out/analyses.jsonl"
python3 - "$dir/index.jsonl" >"$out/logs.tsv" <<'PY'
import json, sys
for l in open(sys.argv[1], encoding='utf-8'):
    if l.strip():
        g = json.loads(l)
        print(g['id'] + '\t' + g['log'])
PY
mkdir -p "$out/json"
# One analysis per log, in parallel; exit code 1 means "nothing known matched", not an error.
cut -f2 "$out/logs.tsv" | xargs -P "$(nproc 2>/dev/null || echo 4)" -I{} sh -c '
	name=$(basename "$2")
	"$1" analyze --json "$3/$2" >"$4/json/$name.json" 2>"$4/json/$name.err"
	rc=$?
	if [ $rc -gt 1 ]; then echo "sleuth failed on $2 (exit $rc): $(head -c 300 "$4/json/$name.err")" >&2; fi
	exit 0
' _ "$bin" {} "$dir" "$out"
: >"$analyses"
while IFS=$'\t' read -r id log; do
	printf '%s\t%s\n' "$id" "$(tr -d '\n' <"$out/json/$(basename "$log").json")" >>"$analyses"
done <"$out/logs.tsv"

python3 - "$analyses" "$dir/index.jsonl" "$out/pred.jsonl" <<'PY'
import json, sys
analyses, index, pred = sys.argv[1:4]
gold = {}
for l in open(index, encoding='utf-8'):
    if l.strip():
        g = json.loads(l)
        gold[g['id']] = g

def spans(g):
    if g.get('all_occurrences'):
        return [tuple(x) for x in g['all_occurrences']]
    if g.get('chunk_start_line') is None:
        return []
    return [(g['chunk_start_line'], g['chunk_end_line'])]

def inside(n, sp):
    return any(s <= n <= e for s, e in sp)

groups = {'diagnosed': [0, 0, 0], 'hints only': [0, 0, 0], 'nothing': [0, 0, 0]}
suspicious = []
with open(pred, 'w', encoding='utf-8') as out:
    for row in open(analyses, encoding='utf-8'):
        id_, _, js = row.rstrip('\n').partition('\t')
        a = json.loads(js) if js.strip() else {}
        if 'analyses' in a:  # tolerate a list wrapper
            a = a['analyses'][0]
        diags = a.get('diagnoses') or []
        hints = a.get('hints') or []
        lines = []
        def add(n):
            if n not in lines:
                lines.append(n)
        if diags:
            for e in diags[0].get('evidence') or []:
                add(e['line'])
            for d in diags[1:]:
                ev = d.get('evidence') or []
                if ev:
                    add(ev[0]['line'])
        for h in hints:
            add(h['line'])
        out.write(json.dumps({'id': id_, 'evidence_lines': lines}) + '\n')
        g = gold.get(id_)
        if not g:
            continue
        sp = spans(g)
        key = 'diagnosed' if diags else ('hints only' if hints else 'nothing')
        grp = groups[key]
        grp[0] += 1
        grp[1] += bool(lines) and inside(lines[0], sp)
        grp[2] += any(inside(n, sp) for n in lines[:3])
        if diags:
            ev = diags[0].get('evidence') or []
            if ev and not inside(ev[0]['line'], sp):
                suspicious.append((id_, diags[0]['id'], ev[0]['line'], ev[0]['text'], sp))

print('groups:')
for k, (n, h1, h3) in groups.items():
    if n:
        print('  %-11s %4d logs   hit@1 %.3f (%d)   hit@3 %.3f (%d)' % (k, n, h1 / n, h1, h3 / n, h3))
    else:
        print('  %-11s %4d logs' % (k, n))
print()
print('diagnosed, first evidence line outside the labelled chunk (%d):' % len(suspicious))
for id_, pb, line, text, sp in suspicious:
    t = text if len(text) <= 140 else text[:137] + '...'
    print('  %s  %s  line %d (chunk %s): %s' % (id_, pb, line, ','.join('%d-%d' % s for s in sp), t))
PY
echo
python3 "$dir/score.py" "$out/pred.jsonl" --index "$dir/index.jsonl" --by none --k 1,3,5
echo
echo "predictions: $out/pred.jsonl"
