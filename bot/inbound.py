"""Every WeChat message and event, parsed into one framework-free value."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.xmlutil import BadXML, field_text

MESSAGE_TYPES = {"text", "image", "voice", "video", "shortvideo", "location", "link", "event"}
EVENTS = {"subscribe", "unsubscribe", "click", "view", "scan", "location",
          "templatesendjobfinish", "masssendjobfinish", "view_miniprogram",
          "subscribe_msg_popup_event", "subscribe_msg_sent_event"}
MAX_FIELD = 8192  # characters; WeChat's own text limit is 2048 bytes


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    scale: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Inbound:
    openid: str
    to: str
    create_time: int
    msg_type: str                 # text, image, voice, video, shortvideo, location, link, event
    msg_id: str | None = None
    text: str | None = None       # Content, or a voice message's Recognition
    event: str | None = None      # lower case: subscribe, click, templatesendjobfinish, ...
    event_key: str = ""
    media_id: str = ""
    pic_url: str = ""
    voice_format: str = ""
    recognition: str | None = None
    location: Location | None = None
    link: dict[str, str] | None = None
    status: str = ""              # TEMPLATESENDJOBFINISH: success / failed:user block / ...
    ticket: str = ""              # SCAN / subscribe by QR code
    app_id: str | None = None     # the community account it came through; None: the deployment's
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dedup_key(self) -> str:
        """WeChat's retry of the same message carries the same MsgId (events: user + time)."""
        if self.msg_id:
            # MsgIds are only unique within one Official Account: a community account's
            # ids carry its AppId (the deployment's own keep the bare form).
            return f"m:{self.app_id}:{self.msg_id}" if self.app_id else f"m:{self.msg_id}"
        return f"e:{self.openid}:{self.create_time}:{self.event or self.msg_type}:{self.event_key}"[:160]

    @property
    def is_textual(self) -> bool:
        return self.text is not None and self.text.strip() != ""


def _text(raw: dict[str, Any], key: str, default: str = "") -> str:
    value = field_text(raw.get(key, default))
    if len(value) > MAX_FIELD:
        raise BadXML(f"{key} is too long")
    return value


def _float(raw: dict[str, Any], key: str) -> float:
    try:
        value = float(_text(raw, key))
    except ValueError:
        raise BadXML(f"{key} is not a number") from None
    if value != value or abs(value) > 1e6:
        raise BadXML(f"{key} is out of range")
    return value


def from_fields(raw: dict[str, Any], app_id: str | None = None) -> Inbound:
    """Build an Inbound from the decrypted XML fields; BadXML when it is not a WeChat message.
    `app_id`: the community account it came through (None: the deployment's own)."""
    for key in ("ToUserName", "FromUserName", "CreateTime", "MsgType"):
        if not _text(raw, key).strip():
            raise BadXML(f"{key} is missing")
    openid = _text(raw, "FromUserName").strip()
    if len(openid) > 64:
        raise BadXML("FromUserName is too long")
    try:
        create_time = int(_text(raw, "CreateTime"))
    except ValueError:
        raise BadXML("CreateTime is not a number") from None
    msg_type = _text(raw, "MsgType").strip().lower()
    if msg_type not in MESSAGE_TYPES:
        raise BadXML(f"unknown MsgType {msg_type[:20]!r}")
    msg_id = _text(raw, "MsgId").strip() or None
    if msg_id and len(msg_id) > 64:
        raise BadXML("MsgId is too long")
    common: dict[str, Any] = dict(openid=openid, to=_text(raw, "ToUserName").strip(),
                                  create_time=create_time, msg_type=msg_type, msg_id=msg_id,
                                  raw=raw, app_id=app_id)
    if msg_type == "text":
        return Inbound(**common, text=_text(raw, "Content"))
    if msg_type == "voice":
        recognition = _text(raw, "Recognition").strip() or None
        return Inbound(**common, text=recognition, recognition=recognition,
                       media_id=_text(raw, "MediaId"), voice_format=_text(raw, "Format"))
    if msg_type == "image":
        return Inbound(**common, media_id=_text(raw, "MediaId"), pic_url=_text(raw, "PicUrl"))
    if msg_type in ("video", "shortvideo"):
        return Inbound(**common, media_id=_text(raw, "MediaId"))
    if msg_type == "location":
        loc = Location(_float(raw, "Location_X"), _float(raw, "Location_Y"),
                       int(_float(raw, "Scale")) if raw.get("Scale") else None,
                       _text(raw, "Label"))
        return Inbound(**common, location=loc)
    if msg_type == "link":
        return Inbound(**common, link={"title": _text(raw, "Title"),
                                       "description": _text(raw, "Description"),
                                       "url": _text(raw, "Url")})
    event = _text(raw, "Event").strip().lower()
    if not event:
        raise BadXML("Event is missing")
    key = _text(raw, "EventKey")
    if event == "location":
        loc = Location(_float(raw, "Latitude"), _float(raw, "Longitude"), None,
                       "")
        return Inbound(**common, event=event, location=loc)
    if event in ("subscribe", "scan") and key.startswith("qrscene_"):
        key = key[len("qrscene_"):]
    return Inbound(**common, event=event, event_key=key, ticket=_text(raw, "Ticket"),
                   status=_text(raw, "Status"))
