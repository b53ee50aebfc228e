def top_item(items):
    return items[0]


def parse_sku(code):
    prefix, number = code.split("-")
    return prefix, int(number)
