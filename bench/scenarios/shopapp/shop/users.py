def region(profile):
    address = profile.get("address")
    return address.get("region")


def split_name(full_name):
    first, last = full_name.split(" ")
    return first, last
