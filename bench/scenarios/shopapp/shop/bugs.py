"""The dozen bugs, each called the way the app would call it."""

from shop import cache, inventory, parsing, stats, users
from shop.billing import invoice

BUGS = {
    "stats_avg": lambda: stats.avg([]),
    "stats_spread": lambda: stats.spread([]),
    "cache_ratio": lambda: cache.ratio(),
    "invoice_unit_price": lambda: invoice.unit_price(10, 0),
    "cache_newest": lambda: cache.newest([]),
    "invoice_first_line": lambda: invoice.first_line([]),
    "inventory_top_item": lambda: inventory.top_item([]),
    "invoice_customer_email": lambda: invoice.customer_email({}),
    "users_region": lambda: users.region({}),
    "parsing_setting": lambda: parsing.setting({}, "db"),
    "inventory_parse_sku": lambda: inventory.parse_sku("ABC"),
    "users_split_name": lambda: users.split_name("Ada"),
    "parsing_key_value": lambda: parsing.key_value("flag"),
}


def trigger(name):
    return BUGS[name]()
