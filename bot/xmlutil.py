"""Safe XML in and out: no DTDs or entities accepted, CDATA written correctly."""
from __future__ import annotations

from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict


class BadXML(Exception):
    """The body is not a WeChat XML document."""


def parse_xml(body: bytes | str) -> dict[str, Any]:
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise BadXML("the body is not UTF-8") from None
    # disable_entities makes xmltodict refuse any entity declaration (XXE, billion laughs).
    try:
        doc = xmltodict.parse(text, disable_entities=True)
    except (ExpatError, ValueError, KeyError, TypeError) as exc:
        raise BadXML(str(exc)) from None
    root = doc.get("xml") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise BadXML("the root element must be <xml> with fields")
    return root


def cdata(value: str) -> str:
    # "]]>" inside text would end the section early: split it across two sections.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def field_text(value: Any) -> str:
    """xmltodict gives a str, None for an empty element, or a dict for nested markup."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise BadXML("a field holds markup where text was expected")
