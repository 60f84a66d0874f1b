"""The ports of the assistant: what it needs from the outside (parser, people, gap counters) and the one
shape every front end talks to (`FrontDesk`), which the assistant and the interpreting desk both satisfy."""

from __future__ import annotations

from typing import Callable, List, Optional, Protocol, Tuple

from bot.assistant.values import Media, Reply, Sender
from nlu.parser import ParseResult

# "I want to talk to a person": (sender, language, topic answered last) -> replies. The interpreting desk gives one.
HumanOffer = Callable[[Sender, str, Optional[str]], List[Reply]]


class Parser(Protocol):
    """Text -> what the NLU understood; front ends parse each message once and pass the result down."""

    def parse(self, text: str) -> ParseResult: ...

    async def parse_async(self, text: str) -> ParseResult: ...


class PersonView(Protocol):
    pseudonym: str
    language: Optional[str]
    detected_language: Optional[str]


class People(Protocol):
    def person(self, external_key: str, *, detected: Optional[str] = None) -> PersonView: ...

    def set_language(self, external_key: str, language: Optional[str], *, detected: bool = False) -> None: ...

    def forget(self, external_key: str) -> bool: ...


class Gaps(Protocol):
    def count_unanswered(self, kind: str, language: str, topic: str = "") -> None: ...


class FrontDesk(Protocol):
    """What a front end (Telegram, the terminal, tests) calls for each update; every method returns the replies."""

    def start(self, sender: Sender) -> List[Reply]: ...

    def command(self, sender: Sender, name: str, argument: str = "") -> List[Reply]: ...

    def message(self, sender: Sender, text: str, parsed: Optional[ParseResult]) -> List[Reply]: ...

    def action(self, sender: Sender, data: Optional[str]) -> List[Reply]: ...

    def location(self, sender: Sender, latitude: float, longitude: float) -> List[Reply]: ...

    def media(self, sender: Sender, media: Media, caption: str = "") -> List[Reply]: ...

    def unsupported(self, sender: Sender, kind: str) -> List[Reply]: ...

    def error(self, sender: Sender) -> List[Reply]: ...

    def unreachable(self, key: str) -> List[Reply]: ...

    def delivered(self, relay_id: int) -> None: ...

    def command_menus(self) -> List[Tuple[Optional[str], List[Tuple[str, str]]]]: ...
