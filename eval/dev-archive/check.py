#!/usr/bin/env python3
"""Consistency check for the invented dev-archive eval set. Run: python3 check.py"""
import collections, datetime, glob, json, os, re, sys

D = os.path.dirname(os.path.abspath(__file__))
errors = []
def err(msg): errors.append(msg)

# event clusters: article-number prefixes (singles are their own cluster) + keywords used
# to place abstain questions (which have no sources) into a cluster
CLUSTERS = {
    'C1 banjir Lampung Barat': (['01','02','03','04'], r'Lampung Barat|Sumberjaya|Way Besai|Tanggamus'),
    'C2 gempa Sumba Barat Daya': (['05','06','07'], r'Sumba(?!wa)'),
    'C3 kebakaran Pasar Bestari': (['08','09','10'], r'Pasar Bestari|Bintan Center'),
    'C4 KM Bunga Lestari 2': (['11','12','13','14'], r'Bunga Lestari'),
    'C5 PSU Pilkada Sumbawa': (['15','16','17'], r'PSU|re-vote|Sumbawa|Alas district'),
    'C6 harga cabai Semarang': (['18','19','20','21'], r'Semarang|Johar|Surakarta|chili'),
    'C7 Piala Bupati Banyuwangi': (['22','23','24'], r'Piala Bupati|Rogojampi|final'),
    'C8 DBD Kotawaringin Timur': (['25','26','27'], r'DBD|dengue|Kotawaringin|chikungunya'),
    'C9 PHK PT Cahaya Busana Mandiri': (['28','29','30'], r'Cahaya Busana|Purwakarta'),
    'C10 PPDB Pontianak': (['31','32','33'], r'PPDB|Pontianak'),
    'S34 Bendungan Tapung Kiri': (['34'], r'Tapung Kiri'),
    'S35 kapal listrik Makassar': (['35'], r'kapal listrik|electric boat|Barrang Lompo'),
    'S36 kabel PJU Jambi': (['36'], r'cable thieves|kabel PJU'),
    'S37 karhutla OKI': (['37'], r'OKI|Ogan Komering'),
    'S38 struktur bata Kediri': (['38'], r'Kediri|bata kuno'),
}
num2cl = {n: c for c, (nums, _) in CLUSTERS.items() for n in nums}

# ---------- articles ----------
files = {os.path.basename(p)[:-4]: p for p in glob.glob(os.path.join(D, 'articles', '*.txt'))}
text = {}
for aid, p in files.items():
    if not re.fullmatch(r'\d\d_[a-z0-9-]+', aid):
        err(f'bad file name {aid}')
    t = open(p, encoding='utf-8').read()
    text[aid] = t
    lines = t.split('\n')
    if len(t) < 1200 or len(t) > 3500:
        err(f'{aid}: length {len(t)} outside 1200-3500')
    if not lines[0].strip() or lines[1].strip() != '':
        err(f'{aid}: first line must be headline followed by a blank line')
    if aid[:2] not in num2cl:
        err(f'{aid}: not assigned to a cluster')

meta = {}
for i, line in enumerate(open(os.path.join(D, 'articles.jsonl'), encoding='utf-8'), 1):
    r = json.loads(line)
    if set(r) != {'id', 'published', 'outlet', 'url'}:
        err(f'articles.jsonl line {i}: keys {sorted(r)}')
    if r['id'] in meta:
        err(f'articles.jsonl: duplicate {r["id"]}')
    meta[r['id']] = r
    if not r['url'].startswith('https://'):
        err(f'{r["id"]}: url not https')
    datetime.date.fromisoformat(r['published'])
for aid in files:
    if aid not in meta:
        err(f'articles.jsonl lacks {aid}')
for aid in meta:
    if aid not in files:
        err(f'articles.jsonl has {aid} without a file')

# weekday/date consistency: "Kamis (14/11/2024)", "Rabu (20/11)", "Friday, May 16, 2025"
HARI = ['Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu', 'Minggu']
DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']
MON = {'Jan.': 1, 'Feb.': 2, 'March': 3, 'April': 4, 'May': 5, 'June': 6, 'July': 7,
       'Aug.': 8, 'Sept.': 9, 'Oct.': 10, 'Nov.': 11, 'Dec.': 12}
for aid, t in text.items():
    if aid not in meta:
        continue
    pub = datetime.date.fromisoformat(meta[aid]['published'])
    for m in re.finditer(r'\b(%s) \((\d{1,2})/(\d{1,2})(?:/(\d{4}))?\)' % '|'.join(HARI), t):
        y = int(m.group(4) or pub.year)
        d = datetime.date(y, int(m.group(3)), int(m.group(2)))
        if HARI[d.weekday()] != m.group(1):
            err(f'{aid}: "{m.group(0)}" is really a {HARI[d.weekday()]}')
        if abs((d - pub).days) > 70:
            err(f'{aid}: "{m.group(0)}" far from published {pub}')
    for m in re.finditer(r'\b(%s), (%s) (\d{1,2})(?:, (\d{4}))?' % ('|'.join(DAYS), '|'.join(map(re.escape, MON))), t):
        y = int(m.group(4) or pub.year)
        d = datetime.date(y, MON[m.group(2)], int(m.group(3)))
        if DAYS[d.weekday()] != m.group(1):
            err(f'{aid}: "{m.group(0)}" is really a {DAYS[d.weekday()]}')

# cluster date span
for c, (nums, _) in CLUSTERS.items():
    ds = [datetime.date.fromisoformat(meta[a]['published']) for a in meta if a[:2] in nums]
    if len(nums) > 1 and (max(ds) - min(ds)).days > 10:
        err(f'{c}: spans {(max(ds) - min(ds)).days} days')

# ---------- questions ----------
KINDS = {'fact', 'named-report', 'latest', 'why', 'how', 'same-topic-unanswerable', 'off-topic'}
KEYS = {'id', 'question', 'lang', 'answers', 'sources', 'expect', 'kind'}
seen_ids = set()
split_clusters = {}
stats = {}
for split in ('dev', 'test'):
    qs = [json.loads(l) for l in open(os.path.join(D, f'questions-{split}.jsonl'), encoding='utf-8')]
    cl_here = collections.Counter()
    for q in qs:
        qid = q.get('id')
        if set(q) != KEYS:
            err(f'{qid}: keys {sorted(q)}')
            continue
        if qid in seen_ids:
            err(f'duplicate question id {qid}')
        seen_ids.add(qid)
        if q['lang'] not in ('id', 'en'):
            err(f'{qid}: lang {q["lang"]}')
        if q['kind'] not in KINDS:
            err(f'{qid}: kind {q["kind"]}')
        abstain_kind = q['kind'] in ('same-topic-unanswerable', 'off-topic')
        if q['expect'] not in ('answer', 'abstain') or (q['expect'] == 'abstain') != abstain_kind:
            err(f'{qid}: expect {q["expect"]} vs kind {q["kind"]}')
        if q['expect'] == 'abstain':
            if q['answers'] or q['sources']:
                err(f'{qid}: abstain question has answers/sources')
        else:
            if not q['answers'] or not q['sources']:
                err(f'{qid}: answer question without answers/sources')
        for s in q['sources']:
            if s not in files:
                err(f'{qid}: source {s} has no file')
        for a in q['answers']:
            if len(a) < 3 or re.fullmatch(r'\d', a):
                err(f'{qid}: answer too short {a!r}')
            if not any(a in text.get(s, '') for s in q['sources']):
                err(f'{qid}: answer {a!r} not verbatim in {q["sources"]}')
        # cluster of the question
        if q['kind'] == 'off-topic':
            continue
        if q['sources']:
            cls = {num2cl[s[:2]] for s in q['sources']}
        else:
            cls = {c for c, (_, kw) in CLUSTERS.items() if re.search(kw, q['question'])}
        if len(cls) != 1:
            err(f'{qid}: cannot place in exactly one cluster: {cls}')
        for c in cls:
            cl_here[c] += 1
    split_clusters[split] = cl_here
    stats[split] = qs

shared = set(split_clusters['dev']) & set(split_clusters['test'])
if shared:
    err(f'clusters in both files: {sorted(shared)}')
missing = set(CLUSTERS) - set(split_clusters['dev']) - set(split_clusters['test'])
if missing:
    err(f'clusters without questions: {sorted(missing)}')

# ---------- report ----------
print(f'articles: {len(files)}  (multi-report clusters: {sum(len(v[0]) > 1 for v in CLUSTERS.values())}, '
      f'single-article events: {sum(len(v[0]) == 1 for v in CLUSTERS.values())})')
print('english articles:', sum(1 for a, t in text.items() if ' the ' in t and ' yang ' not in t))
allq = stats['dev'] + stats['test']
for split in ('dev', 'test'):
    qs = stats[split]
    print(f'\n{split}: {len(qs)} questions; clusters: ' +
          ', '.join(f'{c.split()[0]}={n}' for c, n in sorted(split_clusters[split].items())))
    print('  lang:', dict(collections.Counter(q['lang'] for q in qs)))
    print('  kind:', dict(collections.Counter(q['kind'] for q in qs)))
    ab = sum(q['expect'] == 'abstain' for q in qs)
    print(f'  abstain: {ab} ({ab / len(qs):.0%})')
ab = sum(q['expect'] == 'abstain' for q in allq)
print(f'\ntotal: {len(allq)} questions, abstain {ab} ({ab / len(allq):.0%}), '
      f'lang {dict(collections.Counter(q["lang"] for q in allq))}')
print('kind:', dict(collections.Counter(q['kind'] for q in allq)))

if errors:
    print(f'\n{len(errors)} ERROR(S):')
    for e in errors:
        print(' -', e)
    sys.exit(1)
print('\nOK: all checks passed')
