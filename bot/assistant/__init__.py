"""The assistant: application logic with no telegram, rasa or sqlalchemy import.

values    Reply, Button, Sender, Media, Venue, ChatKey, KnowledgeHolder: what front ends exchange with it
ports     Protocols: the parser, people, gap counters it needs; `FrontDesk`, the one shape front ends call
texts     gettext, escaping, RTL marks, the length cut, menus and notices
cards     topic guidance and service pages (ranked by distance when a place is known)
memory    what it remembers of a conversation, in memory only
parts     what the assistant and the interpreting desk share (texts, cards, people, memory, the person's language)
routing   `Assistant`: start, command, message, action, location
"""

from bot.assistant.parts import Parts
from bot.assistant.ports import FrontDesk, Gaps, HumanOffer, Parser, People
from bot.assistant.routing import Assistant
from bot.assistant.texts import COMMANDS, escape, in_pairs
from bot.assistant.values import Button, ChatKey, KnowledgeHolder, Media, Reply, Sender, Venue

__all__ = ["Assistant", "Parts", "FrontDesk", "Gaps", "HumanOffer", "Parser", "People", "COMMANDS", "escape", "in_pairs",
           "Button", "ChatKey", "KnowledgeHolder", "Media", "Reply", "Sender", "Venue"]
