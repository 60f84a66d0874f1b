"""The values the assistant and its front ends exchange: who wrote, what to send back, where."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

from knowledge.schema import KnowledgeBase

TELEGRAM = "telegram"


@dataclass(frozen=True)
class ChatKey:
    """The opaque key of a chat, 'platform:ident' (e.g. 'telegram:123'); the one place such keys are read and made."""

    platform: str
    ident: str

    @classmethod
    def parse(cls, key: str) -> "ChatKey":
        platform, _sep, ident = (key or "").partition(":")
        return cls(platform, ident)

    @classmethod
    def telegram(cls, user_id: int) -> "ChatKey":
        return cls(TELEGRAM, str(user_id))

    @property
    def telegram_id(self) -> Optional[int]:
        """The Telegram chat or user id, or None when this is not a (well-formed) Telegram key."""
        digits = self.ident[1:] if self.ident.startswith("-") else self.ident
        if self.platform == TELEGRAM and digits.isascii() and digits.isdigit():
            return int(self.ident)
        return None

    def __str__(self) -> str:
        return f"{self.platform}:{self.ident}"


def telegram_id(key: Optional[str]) -> Optional[int]:
    """'telegram:123' -> 123; anything else -> None."""
    return ChatKey.parse(key).telegram_id if key else None


def telegram_key(user_id: int) -> str:
    """123 -> 'telegram:123'."""
    return str(ChatKey.telegram(user_id))


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # at most 64 bytes (Telegram callback data)


@dataclass(frozen=True)
class Venue:
    latitude: float
    longitude: float
    title: str
    address: str


# Kinds of media a text goes with as its caption; the others (sticker, video note, location) get it as a message first.
CAPTIONED = ("photo", "document", "voice", "audio", "video", "animation")


@dataclass(frozen=True)
class Media:
    """A photo, document, voice note… relayed between a person and an interpreter, by Telegram file id."""

    kind: str  # photo, document, voice, audio, video, animation, sticker, video_note, location; speech (below)
    file_id: str = ""
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    speech: str = ""  # kind 'speech': a voice note to make from this text in the reply's language (bot/voice.py)


@dataclass(frozen=True)
class Reply:
    """One message to send: HTML text (every dynamic part escaped), button rows, optional map pin.

    `to` is None for the chat the update came from, else the key of another chat (an interpreter, or the
    person an interpreter answers). `media` makes the text a caption. `relay_id` names the stored copy of a
    relayed message, deleted once it is delivered.
    """

    text: str
    language: str
    buttons: Tuple[Tuple[Button, ...], ...] = ()
    venue: Optional[Venue] = None
    location_button: str = ""  # when set: a one-time keyboard button that shares the person's location
    to: Optional[str] = None
    media: Optional[Media] = None
    relay_id: Optional[int] = None


@dataclass(frozen=True)
class Sender:
    """Who wrote: an opaque key (e.g. 'telegram:123') and the language their app is set to."""

    key: str
    platform_language: Optional[str] = None


@dataclass
class KnowledgeHolder:
    """The current knowledge snapshot; `replace` swaps it atomically for all readers."""

    current: KnowledgeBase = field(default_factory=KnowledgeBase)

    def replace(self, knowledge: KnowledgeBase) -> None:
        self.current = knowledge
