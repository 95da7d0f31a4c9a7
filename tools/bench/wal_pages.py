#!/usr/bin/env python3
"""Which tables and indexes the pages in a SQLite WAL belong to.

usage: wal_pages.py DB_FILE   (DB_FILE-wal must sit beside it; both are only read)

Counts the frames of the WAL's current generation by the b-tree each page belongs to, per
commit. Run it on a copy of the send bench's database taken while the bench writes (the bench
works in /tmp/enfinito_bench.*): the b-trees with most pages per commit are where the bytes
written per message go.
"""
import collections, os, shutil, sqlite3, struct, sys, tempfile

def frames(wal):
    _, _, page_size, _, salt1, salt2, _, _ = struct.unpack(">8I", wal[:32])
    offset, pages, commits = 32, [], 0
    while offset + 24 + page_size <= len(wal):
        page, commit_size, s1, s2 = struct.unpack(">4I", wal[offset:offset + 16])
        if (s1, s2) != (salt1, salt2):
            break  # a frame of an older generation: the current one ends here
        pages.append(page)
        commits += commit_size != 0
        offset += 24 + page_size
    return pages, commits

def owners(db, wal):
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "copy.db")
        shutil.copyfile(db, copy)
        with open(copy + "-wal", "wb") as f:
            f.write(wal)
        con = sqlite3.connect(copy)
        try:
            return dict(con.execute("SELECT pageno, name FROM dbstat"))
        finally:
            con.close()

def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    db = sys.argv[1]
    with open(db + "-wal", "rb") as f:
        wal = f.read()
    pages, commits = frames(wal)
    names = owners(db, wal)
    print(f"frames={len(pages)} commits={commits}")
    for name, n in collections.Counter(names.get(p, "(free list)") for p in pages).most_common():
        print(f"{n:7d} {n / max(commits, 1):7.1f}/commit  {name}")

if __name__ == "__main__":
    main()
