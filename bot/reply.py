"""What the bot answers: text (or articles), rendered as WeChat's passive-reply XML."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bot.xmlutil import cdata


@dataclass(frozen=True)
class Article:
    title: str
    description: str = ""
    url: str = ""
    picurl: str = ""


@dataclass(frozen=True)
class Reply:
    text: str = ""
    articles: tuple[Article, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.text and not self.articles

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "articles": [a.__dict__ for a in self.articles]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(text=data.get("text", ""),
                   articles=tuple(Article(**a) for a in data.get("articles", [])))

    def render(self, to_user: str, from_user: str, now: int | None = None) -> str:
        head = (f"<ToUserName>{cdata(to_user)}</ToUserName>"
                f"<FromUserName>{cdata(from_user)}</FromUserName>"
                f"<CreateTime>{now or int(time.time())}</CreateTime>")
        if self.articles:
            items = "".join(
                f"<item><Title>{cdata(a.title)}</Title><Description>{cdata(a.description)}"
                f"</Description><PicUrl>{cdata(a.picurl)}</PicUrl><Url>{cdata(a.url)}</Url></item>"
                for a in self.articles[:8])
            return (f"<xml>{head}<MsgType><![CDATA[news]]></MsgType>"
                    f"<ArticleCount>{min(len(self.articles), 8)}</ArticleCount>"
                    f"<Articles>{items}</Articles></xml>")
        return (f"<xml>{head}<MsgType><![CDATA[text]]></MsgType>"
                f"<Content>{cdata(self.text)}</Content></xml>")

    def as_customer_message(self) -> dict[str, Any]:
        """The same reply as a customer-service message body (sent when the budget ran out)."""
        if self.articles:
            return {"msgtype": "news", "news": {"articles": [
                {"title": a.title, "description": a.description, "url": a.url,
                 "picurl": a.picurl} for a in self.articles[:8]]}}
        return {"msgtype": "text", "text": {"content": self.text}}
