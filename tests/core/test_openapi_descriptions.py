"""The OpenAPI document reads like a manual: every parameter and every property says what
it is, and every pattern is one a client generated in any language can compile."""

import re

import pytest

# Regex syntax that ECMAScript (the dialect JSON Schema means) or Go's RE2 lacks, or reads
# otherwise than Python does.
NOT_PORTABLE = {
    "a \\u, \\U, \\N{} or \\x{} escape": re.compile(r"\\[uUN]|\\x\{"),
    "a Unicode property class": re.compile(r"\\[pP]\{"),
    "a lookaround, named group or inline flag": re.compile(r"\(\?[^:]"),
    "a backreference": re.compile(r"\\[1-9]"),
    "an anchor only Python knows": re.compile(r"\\[AZz]"),
}


@pytest.fixture
def document(client):
    return client.get("/openapi.json").json()


def _restates(description, name):
    """Whether the description only says the name again ("Limit" for `limit`)."""

    def words(text):
        return re.findall(r"[a-z0-9]+", text.lower().replace("_", " "))

    return words(description) == words(name)


def _described(schema):
    """The schema's description, or that of the one branch of a nullable schema (anyOf
    with null) or of a $ref wrapped in allOf. Never a rule's (a description in allOf beside
    the type), nor one borrowed from the schema a $ref points at (an enum is not a field)."""
    if schema.get("description"):
        return schema["description"]
    wrapped = [branch for branch in schema.get("allOf", []) if "$ref" in branch]
    either = [b for b in schema.get("anyOf", []) + schema.get("oneOf", []) if b != {"type": "null"}]
    branches = wrapped + either
    return _described(branches[0]) if len(branches) == 1 else None


def _properties(document):
    for name, schema in document["components"]["schemas"].items():
        for part in [schema, *schema.get("allOf", [])]:
            for prop, prop_schema in part.get("properties", {}).items():
                yield f"{name}.{prop}", prop, prop_schema


def _patterns(node, where="#"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield where, value
            else:
                yield from _patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _patterns(value, f"{where}/{index}")


def test_every_parameter_says_what_it_is(document):
    undescribed = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                description = parameter.get("description", "")
                if not description or _restates(description, parameter["name"]):
                    undescribed.add(f"{parameter['in']}:{parameter['name']} ({method} {path})")

    assert not undescribed, sorted(undescribed)


def test_every_property_says_what_it_is(document):
    undescribed = [
        where
        for where, name, schema in _properties(document)
        if not _described(schema) or _restates(_described(schema), name)
    ]

    assert not undescribed, undescribed


def test_every_pattern_is_portable(document):
    found = [
        f"{where}: {pattern!r} has {flaw}"
        for where, pattern in _patterns(document)
        for flaw, construct in NOT_PORTABLE.items()
        if construct.search(pattern)
    ]

    assert not found, found


def test_event_patterns_are_explained_where_they_are_chosen(document):
    feed_type = next(
        parameter
        for parameter in document["paths"]["/api/v1/events"]["get"]["parameters"]
        if parameter["name"] == "type"
    )
    subscribed = document["components"]["schemas"]["WebhookCreate"]["properties"]["events"]

    for description in (feed_type.get("description", ""), subscribed.get("description", "")):
        assert "*" in description, description
        assert "<entity>.*" in description, description
