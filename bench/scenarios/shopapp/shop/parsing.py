def key_value(line):
    key, value = line.split("=")
    return key.strip(), value.strip()


def setting(settings, name):
    section = settings.get(name)
    return section.get("value")
