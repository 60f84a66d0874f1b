"""The interpreting desk: a person asks for a human, an interpreter takes the conversation over, relays, hands back.

desk      `InterpretingDesk`: the facade in front of the assistant (the `FrontDesk` shape), and its rounds (tick)
person    the person's flow: offer, language, consent, queue, /bot
staff     the interpreter's side: code of conduct, Take, /handback, /transfer, /close, /queue, /pause
relay     messages between them, stored until delivered
notices   briefing cards, queue status, nobody available
state     the store and the desk's caches (roster, open requests)
roster    one roster service for `guichet interpreters` and the admins' Telegram commands
hours     when interpreters answer; the desk's options
"""

from bot.handover.desk import InterpretingDesk
from bot.handover.hours import DeskOptions, Hours
from bot.handover.roster import Roster, RosterError

__all__ = ["InterpretingDesk", "DeskOptions", "Hours", "Roster", "RosterError"]
