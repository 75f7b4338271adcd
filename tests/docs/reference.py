"""The docs name everything the code does: `reference(source)` reads the names from the code
(process and step statuses, step kinds and value types from model/, the definition parser's
fields from storage/json_codec.cpp, setting keys from config/settings.cpp, metric families
from http/metrics_help.cpp, routes from http/openapi.json) and returns the ones no doc names.
"""

import fnmatch
import glob
import json
import os
import re
def read(source, path):
    with open(os.path.join(source, path), encoding="utf-8") as f:
        return f.read()


def quoted_cases(code, function):
    """The strings returned by the switch of `std::string_view function(...)`."""
    m = re.search(re.escape(function) + r"\)\s*\{(.*?)\n\}", code, re.S)
    return re.findall(r'return "([^"?]+)";', m.group(1)) if m else []


def path_pattern(path):
    """A route of openapi.json as a regex over the docs: a {parameter} matches any segment
    written there ({id}, $ID, 42)."""
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("".join(r"[^/\s\"'`)]+" if p.startswith("{") else re.escape(p)
                              for p in parts) + r"(?![\w/])")


def reference(source):
    definitions = read(source, "docs/definitions.md")
    operations = read(source, "docs/operations.md")
    pages = ["README.md"] + sorted(os.path.relpath(p, source)
                                   for p in glob.glob(os.path.join(source, "docs", "*.md")))
    docs = "".join(read(source, page) for page in pages)
    problems = []
    process_code = read(source, "model/process.cpp")
    wanted = {
        "process status": quoted_cases(process_code, "to_string(process_status s"),
        "step status": quoted_cases(process_code, "to_string(step_status s"),
        "step kind": quoted_cases(read(source, "model/definition.cpp"), "to_string(step_kind k"),
    }
    value_types = quoted_cases(read(source, "model/value.cpp"), "type_name(value_type t")
    if len(value_types) < 3:
        problems.append(f"could not read the value types from model/value.cpp: {value_types}")
    for name in value_types:
        if f"`{name}`" not in definitions:
            problems.append(f"docs/definitions.md does not name the type `{name}`")
    # The definition parser's field names (each `k == "field"` of storage/json_codec.cpp up to
    # parse_definition), each a word of definitions.md.
    codec = read(source, "storage/json_codec.cpp")
    fields = set(re.findall(r'\b[a-z]*k == "(\w+)"', codec.split("parse_definition(")[0]))
    if len(fields) < 20:
        problems.append(f"could not read the definition fields from the parser: {fields}")
    for name in sorted(fields):
        if not re.search(r"\b" + name + r"\b", definitions):
            problems.append(f"docs/definitions.md does not describe the definition field {name}")
    for what, names in wanted.items():
        if len(names) < 3:
            problems.append(f"could not read the {what}es from the code: {names}")
        for name in names:
            if f"`{name}`" not in definitions:
                problems.append(f"docs/definitions.md does not name the {what} `{name}`")
    keys = re.findall(r'\{"([a-z_]+\.[a-z_]+)"', read(source, "config/settings.cpp"))
    if len(keys) < 30:
        problems.append(f"could not read the setting keys from config/settings.cpp: {keys}")
    for key in keys:
        if f"`{key}`" not in operations:
            problems.append(f"docs/operations.md does not describe the setting `{key}`")
    families = re.findall(r'\{"(baton_\w+)"', read(source, "http/metrics_help.cpp"))
    patterns = re.findall(r"`(baton_[\w*]+)`", operations)
    if len(families) < 20:
        problems.append(f"could not read the metric families: {families}")
    for family in families:
        if not any(fnmatch.fnmatchcase(family, p) for p in patterns):
            problems.append(f"docs/operations.md names no pattern for the metric {family}")
    paths = json.loads(read(source, "http/openapi.json"))["paths"]
    for path in paths:
        # Aliases the vendor docs state once: paths compared case-insensitively, and the
        # process engine's optional application name and "/0" before /ServiceModel.
        alias = re.sub(r"^(/\{app\})?(/0)?(?=/ServiceModel/)", "", path).lower()
        if not path_pattern(alias).search(docs.lower()):
            problems.append(f"no doc shows the route {path}")
    print(f"{sum(map(len, wanted.values()))} statuses and kinds, {len(value_types)} types, "
          f"{len(fields)} definition fields, {len(keys)} settings, "
          f"{len(families)} metrics, {len(paths)} routes looked up in the docs")
    return problems

