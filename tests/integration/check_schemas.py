#!/usr/bin/python3
"""Validates ctstorm's JSON outputs against docs/schema/*.schema.json.

usage: check_schemas.py SCHEMA_DIR [RESULTS_DIR | plan:FILE]...
A results folder: its manifest.json and every variant's loadgen.json,
sampler.json and verdict.json. plan:FILE: a `ctstorm plan --json` output.
Prints each file checked; exits 1 on the first one that does not match,
naming the file and the path in it.
"""
import glob
import json
import os
import sys

import jsonschema


def main():
    schema_dir, targets = sys.argv[1], sys.argv[2:]
    schemas = {}
    for f in glob.glob(os.path.join(schema_dir, "*.schema.json")):
        s = json.load(open(f))
        jsonschema.Draft202012Validator.check_schema(s)
        schemas[os.path.basename(f)[: -len(".schema.json")]] = jsonschema.Draft202012Validator(s)
    checks = []
    for t in targets:
        if t.startswith("plan:"):
            checks.append(("plan", t[5:]))
            continue
        checks.append(("manifest", os.path.join(t, "manifest.json")))
        for name, schema in (("loadgen.json", "loadgen-summary"), ("sampler.json", "sampler-summary"),
                             ("verdict.json", "verdict")):
            checks += [(schema, f) for f in sorted(glob.glob(os.path.join(t, "*", name)))]
    for schema, f in checks:
        errors = sorted(schemas[schema].iter_errors(json.load(open(f))), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            print(f"{f}: not a {schema}: at /{'/'.join(map(str, e.path))}: {e.message}")
            return 1
        print(f"{f}: a valid {schema}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
