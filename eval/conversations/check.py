#!/usr/bin/env python3
"""Check the follow-up conversation eval set. Run from anywhere: python3 eval/conversations/check.py

Stdlib only. Prints counts per file, per language and per turn kind, lists every abstain turn for
a human to double-check, and exits 1 on any rule violation. FacQA is read from ../shared/bench/facqa
beside the checkout (override with the FACQA_DIR environment variable).

Extra files named {archive}-dev-*.jsonl / {archive}-test-*.jsonl (e.g. facqa-dev-id2.jsonl) belong to
that half and get the same per-turn rules (ids, verbatim answers, split rules, FacQA passage exclusions,
dev-archive event split). They are counted in a separate block after the main one: the minimum counts
and the id/en balance apply to the six main files only; the about-10% abstain rule applies to both.
"""
import collections, glob, json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SEEDS_DIR = os.path.join(REPO, 'tests', 'data', 'seeds')
DEVARC_DIR = os.path.join(REPO, 'eval', 'dev-archive')
FACQA_DIR = os.environ.get('FACQA_DIR') or os.path.join(os.path.dirname(REPO), 'shared', 'bench', 'facqa')

FILES = ['seeds-dev.jsonl', 'seeds-test.jsonl', 'dev-archive-dev.jsonl', 'dev-archive-test.jsonl',
         'facqa-dev.jsonl', 'facqa-test.jsonl']
ID_PREFIX = {'seeds': 'conv-seeds-', 'dev-archive': 'conv-devarchive-', 'facqa': 'conv-facqa-'}
LANGS = {'id', 'en', 'mixed'}
FOLLOW_KINDS = {'pronoun', 'ellipsis', 'short', 'speaker'}
FRESH_KINDS = {'new_topic', 'same_topic_standalone'}
# extra files per archive and half, e.g. facqa-dev-id2.jsonl (see the docstring)
FILE_RE = re.compile(r'(seeds|dev-archive|facqa)-(dev|test)(?:-[\w.-]+)?\.jsonl')
EXTRA_FILES = sorted(os.path.basename(p) for a in ('seeds', 'dev-archive', 'facqa') for h in ('dev', 'test')
                     for p in glob.glob(os.path.join(HERE, f'{a}-{h}-*.jsonl')))
ALL_FILES = FILES + EXTRA_FILES

def split_name(fn):
    """'dev-archive-dev-id2.jsonl' -> ('dev-archive', 'dev')"""
    m = FILE_RE.fullmatch(fn)
    return m.group(1), m.group(2)
TURN_KEYS = ['question', 'full', 'follow_up', 'kind', 'answers', 'sources', 'expect']
# minimum numbers over all files
MIN_CONVS = {'seeds': 16, 'dev-archive': 32, 'facqa': 16, 'all': 64}
MIN_KIND = {'pronoun': 10, 'ellipsis': 10, 'short': 10, 'speaker': 10, 'new_topic': 12,
            'same_topic_standalone': 6}
MIN_MIXED = 4

errors = []
def err(msg):
    errors.append(msg)


# ---------- archives ----------
def read_txt_dir(d):
    return {os.path.basename(p)[:-4]: open(p, encoding='utf-8').read()
            for p in glob.glob(os.path.join(d, '*.txt'))}

TEXT = {'seeds': read_txt_dir(SEEDS_DIR), 'dev-archive': read_txt_dir(os.path.join(DEVARC_DIR, 'articles'))}
if not os.path.exists(os.path.join(FACQA_DIR, 'passages.jsonl')):
    sys.exit(f'FacQA not found at {FACQA_DIR} (set FACQA_DIR)')
TEXT['facqa'] = {}
for line in open(os.path.join(FACQA_DIR, 'passages.jsonl'), encoding='utf-8'):
    r = json.loads(line)
    TEXT['facqa'][r['id']] = r['text']
for name, t in TEXT.items():
    if not t:
        err(f'archive {name}: no texts found')


def sources_of(path):
    out = set()
    for line in open(path, encoding='utf-8'):
        out.update(json.loads(line)['sources'])
    return out

# dev-archive event split: doc id -> half, from the sources of the dev-archive question files
DEVARC_HALF = {}
for half in ('dev', 'test'):
    for s in sources_of(os.path.join(DEVARC_DIR, f'questions-{half}.jsonl')):
        if DEVARC_HALF.get(s, half) != half:
            err(f'dev-archive {s} is a source in both questions-dev and questions-test')
        DEVARC_HALF[s] = half
for aid in TEXT['dev-archive']:
    if aid not in DEVARC_HALF:
        err(f'dev-archive {aid} is in no question file, so its half is unknown')

# FacQA: only passages of train/valid questions, never of test questions (nor a near-copy of one)
FACQA_TEST = sources_of(os.path.join(FACQA_DIR, 'questions-test.jsonl'))
FACQA_OK = (sources_of(os.path.join(FACQA_DIR, 'questions-train.jsonl'))
            | sources_of(os.path.join(FACQA_DIR, 'questions-valid.jsonl'))) - FACQA_TEST

def shingles(t, n=5):
    w = re.findall(r'\w+', t.lower())
    return {tuple(w[i:i + n]) for i in range(max(1, len(w) - n + 1))}

def near_copies(pid, pool):
    """ids in pool whose text shares >= 60% of 5-word shingles with pid (the corpus has
    re-spaced duplicates such as '38, 59' / '38,59')."""
    a = shingles(TEXT['facqa'][pid])
    out = []
    for q in pool:
        if q == pid:
            continue
        b = shingles(TEXT['facqa'][q])
        if len(a & b) / max(1, min(len(a), len(b))) >= 0.6:
            out.append(q)
    return out


# ---------- conversations ----------
convs = {}               # file -> list of conversations
seen_ids = {}
for fn in ALL_FILES:
    path = os.path.join(HERE, fn)
    convs[fn] = []
    if not os.path.exists(path):
        err(f'{fn}: missing')
        continue
    raw = open(path, 'rb').read()
    try:
        raw.decode('utf-8')
    except UnicodeDecodeError:
        err(f'{fn}: not UTF-8')
        continue
    for i, line in enumerate(raw.decode('utf-8').split('\n'), 1):
        if not line.strip():
            if i != raw.decode('utf-8').count('\n') + 1:
                err(f'{fn}:{i}: blank line')
            continue
        try:
            c = json.loads(line)
        except json.JSONDecodeError as e:
            err(f'{fn}:{i}: invalid JSON ({e})')
            continue
        if line != json.dumps(c, ensure_ascii=False):
            err(f'{fn}:{i}: not written as json.dumps(obj, ensure_ascii=False) on one line')
        c['_where'] = f'{fn}:{i}'
        convs[fn].append(c)

for fn in ALL_FILES:
    archive, half = split_name(fn)
    texts = TEXT[archive]
    for c in convs[fn]:
        w = c['_where']
        cid = c.get('id')
        if list(c) != ['id', 'lang', 'turns', '_where']:
            err(f'{w}: conversation keys must be id, lang, turns (got {[k for k in c if k != "_where"]})')
        if not isinstance(cid, str) or not re.fullmatch(re.escape(ID_PREFIX[archive]) + r'\d{3,4}', cid):
            err(f'{w}: id {cid!r} must look like {ID_PREFIX[archive]}NNN')
        elif cid in seen_ids:
            err(f'{w}: duplicate id {cid} (also {seen_ids[cid]})')
        else:
            seen_ids[cid] = w
        if c.get('lang') not in LANGS:
            err(f'{w}: lang {c.get("lang")!r} not in {sorted(LANGS)}')
        turns = c.get('turns')
        if not isinstance(turns, list) or not 2 <= len(turns) <= 4:
            err(f'{w}: needs 2-4 turns')
            continue
        for j, t in enumerate(turns, 1):
            tw = f'{w} {cid} turn {j}'
            if not isinstance(t, dict) or list(t) != TURN_KEYS:
                err(f'{tw}: keys must be {TURN_KEYS} in that order')
                continue
            q, full, fu, kind, ans, srcs, exp = (t[k] for k in TURN_KEYS)
            if not (isinstance(q, str) and q.strip() and isinstance(full, str) and full.strip()):
                err(f'{tw}: empty question/full')
            if not isinstance(fu, bool):
                err(f'{tw}: follow_up must be true/false')
            if j == 1:
                if fu is not False or kind != 'first':
                    err(f'{tw}: first turn must have follow_up false and kind "first"')
            elif kind in FOLLOW_KINDS:
                if fu is not True:
                    err(f'{tw}: kind {kind} must have follow_up true')
            elif kind in FRESH_KINDS:
                if fu is not False:
                    err(f'{tw}: kind {kind} must have follow_up false')
            else:
                err(f'{tw}: kind {kind!r} not allowed after the first turn')
            if fu is False and full != q:
                err(f'{tw}: follow_up false but full != question')
            if fu is True and full == q:
                err(f'{tw}: follow_up true but full == question')
            if exp not in ('answer', 'abstain'):
                err(f'{tw}: expect {exp!r}')
            if not isinstance(ans, list) or not isinstance(srcs, list):
                err(f'{tw}: answers and sources must be lists')
                continue
            if len(set(srcs)) != len(srcs) or len(set(ans)) != len(ans):
                err(f'{tw}: duplicate answers or sources')
            if exp == 'abstain':
                if ans or srcs:
                    err(f'{tw}: abstain turn must have empty answers and sources')
                if j == 1:
                    err(f'{tw}: the first turn should be answerable')
                continue
            if not 1 <= len(ans) <= 3:
                err(f'{tw}: needs 1-3 answers')
            if not srcs:
                err(f'{tw}: answer turn without sources')
            for s in srcs:
                if s not in texts:
                    err(f'{tw}: source {s!r} is not in the {archive} archive')
                    continue
                if archive == 'dev-archive' and DEVARC_HALF.get(s) != half:
                    err(f'{tw}: {s} belongs to the {DEVARC_HALF.get(s)} half of the event split, not {half}')
                if archive == 'facqa':
                    if s in FACQA_TEST:
                        err(f'{tw}: {s} is a source of a FacQA test question')
                    elif s not in FACQA_OK:
                        err(f'{tw}: {s} is not a source of any FacQA train/valid question')
            for a in ans:
                if not isinstance(a, str) or not a.strip():
                    err(f'{tw}: empty answer')
                elif not any(a in texts.get(s, '') for s in srcs):
                    err(f'{tw}: answer {a!r} is not verbatim in any of {srcs}')

# seeds: split alternately by conversation (odd number -> dev, even -> test)
for fn in ALL_FILES:
    if split_name(fn)[0] != 'seeds':
        continue
    want = 1 if split_name(fn)[1] == 'dev' else 0
    for c in convs[fn]:
        m = re.search(r'(\d+)$', str(c.get('id')))
        if m and int(m.group(1)) % 2 != want:
            err(f'{c["_where"]}: {c["id"]} is in the wrong seeds half (odd ids dev, even ids test)')

# FacQA: split by passage: no passage (or near-copy of one) in both halves, none near a test passage
facqa_half = collections.defaultdict(set)
for fn in ALL_FILES:
    if split_name(fn)[0] != 'facqa':
        continue
    for c in convs[fn]:
        for t in c['turns']:
            for s in t.get('sources', []) if isinstance(t, dict) else []:
                if s in TEXT['facqa']:
                    facqa_half[s].add(split_name(fn)[1])
for s, fns in sorted(facqa_half.items()):
    if len(fns) > 1:
        err(f'FacQA passage {s} used in both halves')
    for q in near_copies(s, FACQA_TEST):
        err(f'FacQA passage {s} is a near-copy of test passage {q}')
    for q in near_copies(s, facqa_half):
        if facqa_half[q] != fns:
            err(f'FacQA passage {s} and its near-copy {q} are in different halves')

# ---------- counts ----------
all_convs = [c for fn in FILES for c in convs[fn]]
per_archive = collections.Counter(fn.rsplit('-', 1)[0] for fn in FILES for _ in convs[fn])
for a, n in MIN_CONVS.items():
    have = len(all_convs) if a == 'all' else per_archive[a]
    if have < n:
        err(f'{a}: {have} conversations, need >= {n}')

HEADER = f'{"file":26} {"convs":>5} {"turns":>5} {"id":>4} {"en":>4} {"mixed":>5} {"2t":>3} {"3t":>3} {"4t":>3} {"abst":>4}'


def tally(files):
    """Print a row per file; return its turn kinds, abstain turns (for review), follow-ups and abstaining follow-ups."""
    kinds, abstain, follow, follow_abstain = collections.Counter(), [], 0, 0
    for fn in files:
        cs = convs[fn]
        lang = collections.Counter(c.get('lang') for c in cs)
        nt = collections.Counter(len(c.get('turns') or []) for c in cs)
        turns = [t for c in cs for t in c.get('turns') or [] if isinstance(t, dict)]
        nabs = sum(t.get('expect') == 'abstain' for t in turns)
        print(f'{fn:26} {len(cs):5} {len(turns):5} {lang["id"]:4} {lang["en"]:4} {lang["mixed"]:5} '
              f'{nt[2]:3} {nt[3]:3} {nt[4]:3} {nabs:4}')
        for c in cs:
            for j, t in enumerate(c.get('turns') or [], 1):
                if not isinstance(t, dict):
                    continue
                kinds[t.get('kind')] += 1
                if t.get('follow_up') is True:
                    follow += 1
                    follow_abstain += t.get('expect') == 'abstain'
                if t.get('expect') == 'abstain':
                    prev = c['turns'][j - 2].get('question') if j > 1 else ''
                    abstain.append(f'{c.get("id")} turn {j}: {t.get("question")!r}  (after {prev!r})\n'
                                   f'      full: {t.get("full")!r}')
    return kinds, abstain, follow, follow_abstain


print(HEADER)
kinds, abstain, follow, follow_abstain = tally(FILES)

lang = collections.Counter(c.get('lang') for c in all_convs)
nturns = sum(len(c.get('turns') or []) for c in all_convs)
print(f'{"TOTAL":26} {len(all_convs):5} {nturns:5} {lang["id"]:4} {lang["en"]:4} {lang["mixed"]:5}')
print('\nturn kinds: ' + ', '.join(f'{k} {kinds[k]}' for k in
      ['first', 'pronoun', 'ellipsis', 'short', 'speaker', 'new_topic', 'same_topic_standalone']))
print(f'follow-up turns: {follow}, of which abstain: {follow_abstain} '
      f'({100 * follow_abstain / max(1, follow):.0f}%)')
for k, n in MIN_KIND.items():
    if kinds[k] < n:
        err(f'kind {k}: {kinds[k]} turns, need >= {n}')
if lang['mixed'] < MIN_MIXED:
    err(f'{lang["mixed"]} mixed conversations, need >= {MIN_MIXED}')
if lang['id'] + lang['en'] and not 0.4 <= lang['id'] / (lang['id'] + lang['en']) <= 0.6:
    err(f'Indonesian/English conversations unbalanced: {lang["id"]} id vs {lang["en"]} en')
if not 0.05 <= follow_abstain / max(1, follow) <= 0.2:
    err(f'abstain follow-ups are {follow_abstain}/{follow}; aim for about 10%')

print(f'\nabstain turns ({len(abstain)}) - check by hand that the archive really does not say:')
for a in abstain:
    print('  ' + a)

# ---------- extra files: same per-turn rules (above), counted separately ----------
if EXTRA_FILES:
    print(f'\nextra files (dev/test halves as named; not in the totals above):')
    print(HEADER)
    xkinds, xabstain, xfollow, xfollow_abstain = tally(EXTRA_FILES)
    xconvs = [c for fn in EXTRA_FILES for c in convs[fn]]
    xlang = collections.Counter(c.get('lang') for c in xconvs)
    print(f'{"EXTRA TOTAL":26} {len(xconvs):5} {sum(len(c.get("turns") or []) for c in xconvs):5} '
          f'{xlang["id"]:4} {xlang["en"]:4} {xlang["mixed"]:5}')
    print('\nextra turn kinds: ' + ', '.join(f'{k} {xkinds[k]}' for k in
          ['first', 'pronoun', 'ellipsis', 'short', 'speaker', 'new_topic', 'same_topic_standalone']))
    print(f'extra follow-up turns: {xfollow}, of which abstain: {xfollow_abstain} '
          f'({100 * xfollow_abstain / max(1, xfollow):.0f}%)')
    if not 0.05 <= xfollow_abstain / max(1, xfollow) <= 0.2:
        err(f'extra files: abstain follow-ups are {xfollow_abstain}/{xfollow}; aim for about 10%')
    print(f'\nextra abstain turns ({len(xabstain)}) - check by hand that the archive really does not say:')
    for a in xabstain:
        print('  ' + a)

if errors:
    print(f'\n{len(errors)} problem(s):')
    for e in errors:
        print('  ' + e)
    sys.exit(1)
print('\nOK')
