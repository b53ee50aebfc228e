def avg(values):
    total = sum(values)
    return total / len(values)


def spread(values):
    lowest = min(values, default=0)
    highest = max(values, default=0)
    return (highest - lowest) / len(values)
