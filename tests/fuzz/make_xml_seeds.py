#!/usr/bin/env python3
"""Adds seeds to the XML fuzzer's corpus (tests/fuzz/corpus/xml/) from the documents the s3 unit
tests parse: the XML string literals of tests/unit/s3/xml_*_test.cc (adjacent literals joined, C
escapes decoded) and the XML files of tests/unit/s3/testdata/. A literal that is a fragment of a
document (the tests wrap rules and elements in helpers such as OneRule()) is wrapped the same
way. Each seed is the xml_fuzz.cc selector byte for the document's root element, then the
document. Existing seeds are kept; new ones are named by the SHA-1 of their content.
    tests/fuzz/make_xml_seeds.py
"""
import ast
import hashlib
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / 'tests' / 'fuzz' / 'corpus' / 'xml'
UNIT = ROOT / 'tests' / 'unit' / 's3'

# Root element -> selector byte (the switch in xml_fuzz.cc).
SELECTOR = {
    'BucketLoggingStatus': 0,
    'CompleteMultipartUpload': 1,
    'Delete': 2,
    'CreateBucketConfiguration': 3,
    'AccessControlPolicy': 4,
    'OwnershipControls': 5,
    'VersioningConfiguration': 6,
    'LifecycleConfiguration': 7,
    'ServerSideEncryptionConfiguration': 8,
}
NS = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'

# How each test file wraps fragments into a whole document, as its helpers do.
def wrap_lifecycle(fragment):
    if not fragment.startswith('<Rule'):
        fragment = '<Rule><ID>r</ID><Filter/>' + fragment + '</Rule>'
    return f'<LifecycleConfiguration{NS}>{fragment}</LifecycleConfiguration>'


def wrap_in(root):
    return lambda fragment: f'<{root}{NS}>{fragment}</{root}>'


WRAP = {
    'xml_lifecycle_test.cc': wrap_lifecycle,
    'xml_versioning_test.cc': wrap_in('VersioningConfiguration'),
    'xml_encryption_test.cc': lambda f: (
        f'<ServerSideEncryptionConfiguration{NS}>' +
        (f if f.startswith('<Rule') else f'<Rule>{f}</Rule>') +
        '</ServerSideEncryptionConfiguration>'),
    'xml_logging_test.cc': wrap_in('BucketLoggingStatus'),
    'xml_delete_test.cc': wrap_in('Delete'),
    'xml_multipart_test.cc': wrap_in('CompleteMultipartUpload'),
    'xml_acl_test.cc': wrap_in('AccessControlPolicy'),
}

LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')
GROUP = re.compile(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+')


def literals(source):
    """Every group of adjacent C++ string literals, joined and unescaped."""
    source = re.sub(r'//[^\n]*', '', source)
    for group in GROUP.finditer(source):
        parts = LITERAL.findall(group.group(0))
        try:
            yield ''.join(ast.literal_eval(p) for p in parts)
        except (ValueError, SyntaxError):
            continue


def root_of(document):
    m = re.match(r'\s*(?:<\?xml[^>]*\?>\s*)?<([A-Za-z][\w.-]*)', document)
    return m.group(1) if m else None


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    seeds = set()
    for test in sorted(UNIT.glob('xml_*_test.cc')):
        wrap = WRAP.get(test.name)
        for text in literals(test.read_text()):
            if '<' not in text or text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error'):
                continue
            root = root_of(text)
            if root not in SELECTOR:
                # A tail or a declaration cut from a whole document is no fragment to wrap.
                if (wrap is None or not text.lstrip().startswith('<') or text.startswith('<?') or
                        any(f'</{name}>' in text for name in SELECTOR)):
                    continue
                text = wrap(text)
                root = root_of(text)
            if root in SELECTOR:
                seeds.add(bytes([SELECTOR[root]]) + text.encode())
    for data in sorted(UNIT.glob('testdata/*.xml')):
        text = data.read_text()
        root = root_of(text)
        if root in SELECTOR:
            seeds.add(bytes([SELECTOR[root]]) + text.encode())
    added = 0
    for seed in sorted(seeds):
        path = OUT / hashlib.sha1(seed).hexdigest()
        if not path.exists():
            path.write_bytes(seed)
            added += 1
    print(f'{added} new seeds ({len(seeds)} documents found) in {OUT}')


if __name__ == '__main__':
    main()
