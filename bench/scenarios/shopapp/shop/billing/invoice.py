def unit_price(total, quantity):
    return round(total / quantity, 2)


def first_line(lines):
    return lines[0]


def customer_email(order):
    customer = order.get("customer")
    return customer.get("email")
