"""Every table Guichet keeps, in one place: the schema does not depend on which modules were imported.

Knowledge (kb_*), people (a pseudonym per HMAC of their external key), gap counters (counts only, never text),
and the interpreting desk's roster, open requests, relayed messages and notes.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, DateTime, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

kb_topics = Table(
    "kb_topics", metadata,
    Column("id", String(80), primary_key=True),
    Column("intent", String(60), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("last_reviewed", Date, nullable=False),
)
kb_services = Table(
    "kb_services", metadata,
    Column("id", String(80), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("area", String(20), nullable=False),
    Column("commune", String(100), nullable=False, default=""),
    Column("payload", JSON, nullable=False),
    Column("last_reviewed", Date, nullable=False),
)
kb_answers = Table(
    "kb_answers", metadata,
    Column("id", String(80), primary_key=True),
    Column("intent", String(60), nullable=False),
    Column("position", Integer, nullable=False),  # catalogue order
    Column("payload", JSON, nullable=False),
    Column("last_reviewed", Date, nullable=False),
)
kb_meta = Table(
    "kb_meta", metadata,
    Column("key", String(60), primary_key=True),
    Column("value", String(200), nullable=False),
)
# Counts only, never text: how often the bot could not help, per day, language and kind of gap.
# kind: 'not_understood' (nlu_fallback), 'out_of_scope', 'human_after_answer' (topic = the answer's intent).
unanswered = Table(
    "unanswered", metadata,
    Column("day", Date, primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("kind", String(30), primary_key=True),
    Column("topic", String(60), primary_key=True, default=""),
    Column("count", Integer, nullable=False, default=0),
)
people = Table(
    "people", metadata,
    Column("pseudonym", String(16), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("language", String(8)),
    Column("detected_language", String(8)),
    Column("created_on", Date, nullable=False),
    Column("last_seen_on", Date, nullable=False),
)
interpreters = Table(
    "interpreters", metadata,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(80), nullable=False),
    Column("languages", String(200), nullable=False),  # comma-separated language codes, e.g. "ar,fr"
    Column("paused", Boolean, nullable=False, default=False),
    Column("conduct_accepted_at", DateTime),
    Column("added_on", Date, nullable=False),
)
handovers = Table(
    "handovers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_hash", String(64), nullable=False, unique=True),  # one open request per person
    Column("person_key", String(64), nullable=False),  # where to relay to; deleted with the row
    Column("pseudonym", String(16), nullable=False),
    Column("person_language", String(8), nullable=False),  # the language the person reads the bot's notices in
    Column("language", String(8), nullable=False),  # the language the interpreter must speak
    Column("topic", String(60), nullable=False, default=""),
    Column("briefing", JSON, nullable=False),  # the intents the bot answered before the request
    Column("note", Text, nullable=False, default=""),  # from the previous interpreter (transfer or earlier close)
    Column("status", String(12), nullable=False),
    Column("interpreter_id", BigInteger),
    Column("transferred_from", BigInteger),  # not offered back to the interpreter who released it
    Column("message_left", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("deadline", DateTime),  # when to tell the person nobody took it (cleared once told)
    # Random, per request: the Take and Transfer buttons name it, so a card kept from an older request can never
    # act on a newer one, even on a database where ids were reused.
    Column("token", String(16), nullable=False, default=""),
    sqlite_autoincrement=True,  # SQLite reuses the largest id once a table empties, unless told not to
)
relay_messages = Table(
    "relay_messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handover_id", Integer, nullable=False, index=True),
    Column("direction", String(16), nullable=False),
    Column("kind", String(16), nullable=False),  # text, photo, document, voice, audio, video, animation, sticker, …
    Column("text", Text, nullable=False, default=""),  # the text or caption
    Column("file_id", String(300), nullable=False, default=""),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("created_at", DateTime, nullable=False),
    sqlite_autoincrement=True,
)
handover_notes = Table(
    "handover_notes", metadata,
    Column("person_hash", String(64), primary_key=True),
    Column("note", Text, nullable=False),
    Column("written_at", DateTime, nullable=False),
)

# Every message the bot has decided to send, written before it is sent and deleted once Telegram accepted it: a
# crash or a restart loses no reply (bot/delivery.py). `chat_id` is where it goes; `origin` the chat of the update
# that caused it (where follow-ups go); `payload` the reply (texts may quote the person during a handover).
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("origin", BigInteger),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("instance", String(64)),  # the process that sends it, when several share the database (bot/instances.py)
    sqlite_autoincrement=True,
)
# Updates fetched from Telegram, written before the next getUpdates confirms them, so that a crash between fetching
# and handling loses none. The payload (the person's message) is erased as soon as the update is handled; the row
# stays until Telegram can no longer send that update again (its id is below the confirmed offset), so an update
# sent twice is handled once.
inbox = Table(
    "inbox", metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("payload", JSON),
    Column("handled", Boolean, nullable=False, default=False),
    Column("received_at", DateTime, nullable=False),
    Column("chat_id", BigInteger, index=True),  # whose update it is: one chat's updates are handled in order
)

# When several `guichet run` processes share the database (GUICHET_INSTANCE; bot/instances.py). Only names, times
# and chat ids: no text. An instance is alive while it writes `seen_at` (every few seconds); one that stopped
# cleanly deletes its row, one that crashed is taken over once its `seen_at` is old.
instances = Table(
    "instances", metadata,
    Column("name", String(64), primary_key=True),
    Column("seen_at", DateTime, nullable=False),
)
# Which instance works for a chat now (handles its updates, sends what they caused): one at a time, so that one
# person's messages are handled, and their replies and relayed messages sent, in order. Key 'desk': the instance
# that does the interpreting desk's rounds.
leases = Table(
    "leases", metadata,
    Column("key", String(40), primary_key=True),
    Column("instance", String(64), nullable=False),
)
# What the assistant remembers of a conversation when several instances share the work: topic and answer ids and
# the language of the consent card last shown, per pseudonymous key hash (never text, never a position); deleted
# when the person asks to be forgotten and after MEMORY_HOURS without a message (knowledge/storage/memory.py).
memory = Table(
    "memory", metadata,
    Column("person_hash", String(64), primary_key=True),
    Column("field", String(20), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", DateTime, nullable=False, index=True),
)
