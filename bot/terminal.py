"""The same assistant in a terminal: one message per line in, plain-text replies out."""

from __future__ import annotations

import html
import re
from typing import List, Optional, TextIO

from bot.assistant import Button, FrontDesk, Parser, Reply, Sender

TAG = re.compile(r"<[^>]+>")


def plain(reply: Reply) -> str:
    """Reply HTML as terminal text; buttons as numbered choices."""
    return html.unescape(TAG.sub("", reply.text)).replace("\u200f", "").replace("\u2068", "").replace("\u2069", "")


def chat(front: FrontDesk, parser: Parser, stdin: TextIO, stdout: TextIO, *, language: Optional[str] = None,
         key: str = "terminal:local") -> None:
    """Type a question, '/command', or '#N' to press button N of the last replies."""
    sender = Sender(key, language)
    if language:
        front.action(sender, f"lang:{language}")
    buttons: List[Button] = []

    def show(replies: List[Reply]) -> None:
        buttons.clear()
        for reply in replies:
            print(plain(reply), file=stdout)
            for row in reply.buttons:
                for button in row:
                    buttons.append(button)
                    print(f"  [#{len(buttons)}] {button.label}", file=stdout)
            print(file=stdout)
        stdout.flush()

    for line in stdin:
        text = line.strip()
        if text.startswith("#") and text[1:].isdigit() and 0 < int(text[1:]) <= len(buttons):
            show(front.action(sender, buttons[int(text[1:]) - 1].action))
        elif text.startswith("/") and len(text) > 1:
            show(front.command(sender, text[1:].split()[0]))
        else:
            show(front.message(sender, text, parser.parse(text) if text else None))
