_HITS = {"hits": 0, "misses": 0}


def ratio():
    hits = _HITS["hits"]
    return hits / (hits + _HITS["misses"])


def newest(entries):
    ordered = sorted(entries)
    return ordered[-1]
