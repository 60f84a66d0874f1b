"""Knowledge as messages: a topic's guidance, its services ranked (by distance when a place is known), in pages."""

from __future__ import annotations

import re
from typing import List, Optional, Tuple
from urllib.parse import urlparse

from bot.assistant.texts import MAX_TEXT_CHARS, Texts, escape
from bot.assistant.values import Button, KnowledgeHolder, Reply, Venue
from bot.i18n import is_rtl, isolate, language_name, local_date, rtl_lines
from knowledge.places import Gazetteer, distance_km
from knowledge.schema import Answer, Service, Topic

SERVICES_PER_PAGE = 3
ANSWER_SERVICES = 2  # services shown under a specific answer (the rest: "More services")
LATIN_RUN = re.compile(r"([A-Za-z0-9+@][A-Za-z0-9 +./:@&;_()–-]*[A-Za-z0-9)])")
Position = Tuple[float, float]


class Cards:
    """Topic cards and service pages in the person's language, every knowledge text escaped."""

    def __init__(self, texts: Texts, knowledge: KnowledgeHolder, places: Optional[Gazetteer] = None):
        self.texts = texts
        self.knowledge = knowledge
        self.places = places

    def has_topic(self, intent: str) -> bool:
        return self.knowledge.current.topic_for(intent) is not None

    def topic_name(self, intent: str, language: str) -> str:
        """'🏠 Housing' in `language`, or the intent itself when the knowledge has no such topic."""
        topic = self.knowledge.current.topic_for(intent)
        return f"{topic.emoji} {topic.title.pick(language)[0]}" if topic else intent

    def help_lines(self, language: str) -> List[str]:
        return [f"{t.emoji} {escape(t.title.pick(language)[0])}" for t in self.knowledge.current.menu_topics()]

    def topic_answer(self, intent: str, language: str, position: Optional[Position] = None, *,
                     interpreter_here: bool = False) -> List[Reply]:
        """Guidance for the topic, then the most relevant services; emergency numbers come first.

        `interpreter_here`: the interpreting desk runs, so the interpreting card says one can join right here."""
        _ = self.texts.gettext(language)
        topic = self.knowledge.current.topic_for(intent)
        if topic is None:
            return [self.texts.reply(_("I don't have information on this yet. Choose another topic or ask for a person."),
                                     language, self.texts.topic_rows(language) + [[self.texts.human_button(language)]])]
        text = self._topic_text(topic, language)
        if intent == "ask_interpreting" and interpreter_here:
            text += "\n\n" + escape(_("🧑 A Guichet community interpreter can also join this conversation: press "
                                      "“Talk to a person” or send /human."))
        guidance = self.texts.reply(text, language)
        services = self.services_page(intent, language, 0, position, listen=False)
        # the topic's specific questions first: taps alone reach every answer (topic -> question -> answer)
        rows = self.texts.listen_rows(f"topic:{intent}", language) + self.question_rows(intent, language) + \
            [list(row) for row in services.buttons]
        return self._joined(guidance, services, rows)

    # -- specific answers (knowledge/data/answers) ----------------------------------------------------
    def has_answer(self, answer_id: Optional[str]) -> bool:
        return bool(answer_id) and self.knowledge.current.answer(answer_id) is not None

    def has_questions(self, intent: str) -> bool:
        return bool(self.knowledge.current.answers_for(intent))

    def answer_name(self, answer_id: str, language: str) -> str:
        """The answer's short label in `language` (the id when the knowledge has no such answer)."""
        answer = self.knowledge.current.answer(answer_id)
        return answer.short.pick(language)[0] if answer else answer_id

    def question_rows(self, intent: str, language: str, *, only: Optional[Tuple[str, ...]] = None) -> List[List[Button]]:
        """One button per question of the topic (or per id of `only`, in that order)."""
        kb = self.knowledge.current
        answers = [kb.answer(a) for a in only] if only is not None else kb.answers_for(intent)
        return [[Button("❓ " + a.short.pick(language)[0], f"ans:{a.id}")] for a in answers if a is not None]

    def questions(self, intent: str, language: str) -> Reply:
        """The topic's questions as buttons ("More questions about …")."""
        _ = self.texts.gettext(language)
        text = "<b>" + escape(_("Questions about {topic}:").format(topic=self.topic_name(intent, language))) + "</b>"
        rows = self.question_rows(intent, language) + [[Button(_("📋 Another topic"), "menu"), self.texts.human_button(language)]]
        return self.texts.reply(text, language, rows)

    def closest(self, intent: str, candidates: Tuple[str, ...], language: str) -> Reply:
        """Unsure which answer fits: the closest questions (they may belong to other topics than `intent`, the one
        "None of these" leads to)."""
        _ = self.texts.gettext(language)
        kb = self.knowledge.current
        lines = [escape(_("Which one is closest to your question?"))]
        lines += [f"❓ {escape(kb.answer(a).title.pick(language)[0])}" for a in candidates if kb.answer(a)]
        rows = self.question_rows(intent, language, only=candidates)
        rows.append([Button(_("🔎 None of these"), f"none:{intent}"), self.texts.human_button(language)])
        return self.texts.reply("\n".join(lines), language, rows)

    def answer_card(self, answer_id: str, language: str) -> List[Reply]:
        """The specific answer first, then the one or two services that handle it, with the next moves."""
        _ = self.texts.gettext(language)
        kb = self.knowledge.current
        answer = kb.answer(answer_id)
        if answer is None:
            return [self.texts.stale_button(language)]
        guidance = self.texts.reply(self._answer_text(answer, language), language)
        services = kb.answer_services(answer)[:ANSWER_SERVICES]
        if services:
            blocks = [f"<b>{escape(_('Where to go:'))}</b>"] + [self._service_text(s, language) for s in services]
            where = self.texts.reply("\n\n".join(blocks), language)
        else:
            where = self.texts.reply(escape(_("I don't know a service for this yet.")), language)
        rows = self.texts.listen_rows(f"ans:{answer.id}", language) + [
                [Button(_("❓ More questions: {topic}").format(topic=self.topic_name(answer.intent, language)),
                        f"qs:{answer.intent}")],
                [Button(_("➕ More services"), f"more:{answer.intent}:0"), self.texts.human_button(language)],
                [Button(_("📋 Another topic"), "menu"), Button(_("🌐 Change language"), "lang")]]
        return self._joined(guidance, where, rows)

    def _joined(self, guidance: Reply, services: Reply, rows: List[List[Button]]) -> List[Reply]:
        """Guidance and services in one message when they fit (one notification, one request on a slow
        network), else two; the buttons go under the last."""
        buttons = tuple(tuple(row) for row in rows)
        joined = guidance.text + "\n\n" + services.text
        if len(joined) <= MAX_TEXT_CHARS:
            return [Reply(joined, guidance.language, buttons, services.venue)]
        return [guidance, Reply(services.text, services.language, buttons, services.venue)]

    def nearby(self, label: str, topic: Optional[str], position: Optional[Position], language: str) -> List[Reply]:
        """After a place: the places nearest to it for the last topic, or the topic menu."""
        _ = self.texts.gettext(language)
        heading = f"📍 {isolate(escape(label), language)}" if label else "📍"
        if topic is None or not self.has_topic(topic):
            return [self.texts.reply(heading + "\n" + escape(_("What do you need help with?")), language,
                                     self.texts.topic_rows(language))]
        services = self.services_page(topic, language, 0, position)
        return [Reply(rtl_lines(heading, language) + "\n" + services.text, language, services.buttons, services.venue)]

    def interpreting_services(self, language: str) -> List[Reply]:
        """The services of the knowledge base that provide interpreters (Univerbal, SETIS…), or nothing."""
        if not self.has_topic("ask_interpreting"):
            return []
        return [self.services_page("ask_interpreting", language, 0)]

    def no_interpreter_yet(self, language: str) -> List[Reply]:
        """Nobody is on the roster (or no desk runs): the services that find an interpreter."""
        _ = self.texts.gettext(language)
        return [self.texts.reply(_("No interpreter is registered on this Guichet yet. These services can help you find one:"),
                                 language)] + self.interpreting_services(language)

    def services_page(self, intent: str, language: str, offset: int, position: Optional[Position] = None, *,
                      listen: bool = True) -> Reply:
        """One page of the topic's services; `listen`: with the 🔊 button (not when part of a topic card)."""
        _ = self.texts.gettext(language)
        services = self._ranked(intent, language, position)
        page = services[offset: offset + SERVICES_PER_PAGE]
        rows: List[List[Button]] = self.texts.listen_rows(f"more:{intent}:{offset}", language) if page and listen else []
        venue = None
        if not page:
            text = _("I don't know a service for this yet.")
        else:
            heading = _("Where to go:") if offset == 0 else _("More places:")
            blocks = [f"<b>{escape(heading)}</b>"] + [self._service_text(s, language, km) for s, km in page]
            text = "\n\n".join(blocks)
            best = page[0][0]
            if position is not None and best.coordinates:  # a map pin only where the file gives the real spot
                venue = Venue(best.coordinates[0], best.coordinates[1], best.name, best.address)
        if offset + SERVICES_PER_PAGE < len(services):
            rows.append([Button(_("➕ More services"), f"more:{intent}:{offset + SERVICES_PER_PAGE}")])
        rows.append([Button(_("📋 Another topic"), "menu"), self.texts.human_button(language)])
        rows.append([Button(_("📍 Near me"), "near"), Button(_("🌐 Change language"), "lang")])
        return self.texts.reply(text, language, rows, venue)

    # -- pieces ----------------------------------------------------------------------------------
    def _ranked(self, intent: str, language: str, position: Optional[Position]) -> List[Tuple[Service, Optional[float]]]:
        """Services by relevance; with a position, those with a known place by distance (5 km steps, then
        relevance, which counts the languages spoken), then national and remote ones. Emergencies keep their order."""
        services = self.knowledge.current.services_for(intent, language)
        if position is None or self.places is None or intent == "emergency":
            return [(s, None) for s in services]
        ranked = []
        for rank, service in enumerate(services):
            spot = service.coordinates
            if spot is None and service.area != "national" and service.commune:
                place = self.places.commune(service.commune)
                spot = place.position if place else None
            km = distance_km(position, spot) if spot else None
            ranked.append(((km is None, round(km / 5) if km is not None else 0, rank), service, km))
        return [(service, km) for _key, service, km in sorted(ranked, key=lambda item: item[0])]

    def _topic_text(self, topic: Topic, language: str) -> str:
        _ = self.texts.gettext(language)
        title, used = topic.title.pick(language)
        summary, used_summary = topic.summary.pick(language)
        steps, used_steps = topic.steps.pick(language)
        bring, _used = topic.bring.pick(language)
        lines = [f"{topic.emoji} <b>{escape(title)}</b>"]
        if topic.legal:
            lines.append(self._not_legal_advice(language))
        lines += ["", escape(summary)]
        if steps:
            label = _("Call now:") if topic.intent == "emergency" else _("First steps:")
            lines += _bullets(label, steps, language)
        if bring:
            lines += _bullets(_("What to bring:"), bring, language)
        lines += ["", self._sources_line(topic.sources, topic.last_reviewed, language)]
        if {used, used_summary, used_steps} - {language, None}:
            lines.append(self._fallback_note(language, used_steps or used))
        return "\n".join(lines)

    def _answer_text(self, answer: Answer, language: str) -> str:
        _ = self.texts.gettext(language)
        topic = self.knowledge.current.topic_for(answer.intent)
        title, used = answer.title.pick(language)
        text, used_text = answer.answer.pick(language)
        lines = [f"{topic.emoji if topic else '❓'} <b>{escape(title)}</b>", "", _ltr_safe(text, language)]
        if answer.legal:
            lines.append(self._not_legal_advice(language))
        steps, used_steps = answer.steps.pick(language)
        if steps:
            lines += _bullets(_("First steps:"), steps, language)
        bring, _b = answer.bring.pick(language)
        if bring:
            lines += _bullets(_("What to bring:"), bring, language)
        for emoji, label, field in (("⏳", _("Deadlines:"), answer.deadlines), ("💶", _("Costs:"), answer.costs)):
            value, _v = field.pick(language)
            if value:
                lines += ["", f"{emoji} <b>{escape(label)}</b> {_ltr_safe(value, language)}"]
        if answer.partial:
            lines += ["", "ℹ️ " + escape(_("Few facts about this question are sourced yet: the services below know "
                                           "more, and you can talk to a person."))]
        lines += ["", self._sources_line(answer.sources, answer.last_reviewed, language)]
        if {used, used_text, used_steps} - {language, None}:
            lines.append(self._fallback_note(language, used_text or used))
        return "\n".join(lines)

    def _service_text(self, service: Service, language: str, km: Optional[float] = None) -> str:
        _ = self.texts.gettext(language)
        iso = lambda value: isolate(escape(value), language)  # noqa: E731
        description, used = service.description.pick(language)
        lines = [f"🏢 <b>{iso(service.name)}</b>"]
        if description:
            lines.append(escape(description))
        if service.address:
            lines.append("📍 " + iso(service.address) + (f" (≈ {km:.0f} km)" if km is not None else ""))
        elif service.is_remote:
            lines.append("🌍 " + escape(_("By phone or online (no local office listed).")))
        hours, _h = service.hours.pick(language)
        if hours:
            lines.append("🕒 " + _ltr_safe(hours, language))
        if service.phone:
            lines.append("📞 " + ", ".join(iso(p) for p in service.phone))
        if service.email:
            lines.append("✉️ " + iso(service.email))
        if service.website:
            lines.append("🌐 " + isolate(f'<a href="{escape(service.website)}">{escape(_display_url(service.website))}</a>', language))
        if service.languages:
            names = ", ".join(escape(language_name(code, language)) for code in service.languages)
            lines.append("🗣 " + escape(_("Languages spoken:")) + " " + names)
        else:
            lines.append("🗣 " + escape(_("Languages spoken: not known — ask when you contact them.")))
        if service.interpreter_on_request:
            lines.append("🧑‍🤝‍🧑 " + escape(_("An interpreter can be requested.")))
        cost, _c = service.cost.pick(language)
        if cost:
            lines.append("💶 " + _ltr_safe(cost, language))
        eligibility, _el = service.eligibility.pick(language)
        if eligibility:
            lines.append("👥 " + _ltr_safe(eligibility, language))
        lines.append(self._sources_line(service.sources, service.last_reviewed, language))
        if used and used != language:
            lines.append(self._fallback_note(language, used))
        return "\n".join(lines)

    def _not_legal_advice(self, language: str) -> str:
        _ = self.texts.gettext(language)
        return "<i>" + escape(_("General information, not legal advice. Check your own situation with a lawyer or a "
                                "service below.")) + "</i>"

    def _sources_line(self, sources, reviewed, language: str) -> str:
        _ = self.texts.gettext(language)
        links = ", ".join(
            isolate(f'<a href="{escape(s.url)}">{escape(_display_url(s.url, host_only=True))}</a>', language) for s in sources[:3]
        )
        return "<i>" + escape(_("Source:")) + " " + links + " · " + escape(_("checked {date}").format(date=local_date(reviewed, language))) + "</i>"

    def _fallback_note(self, language: str, used: Optional[str]) -> str:
        _ = self.texts.gettext(language)
        return "ℹ️ <i>" + escape(_("Not yet translated into your language: shown in {language}.").format(
            language=language_name(used or "en", language))) + "</i>"


def _bullets(label: str, items, language: str) -> List[str]:
    """A bold heading and one bullet per knowledge text (steps, what to bring), after an empty line."""
    return ["", f"<b>{escape(label)}</b>"] + [f"• {_ltr_safe(item, language)}" for item in items]


def _ltr_safe(text: str, language: str) -> str:
    """Escape a knowledge text; in RTL languages isolate its Latin-script runs (numbers, URLs)."""
    escaped = escape(text)
    if not is_rtl(language):
        return escaped
    return LATIN_RUN.sub(lambda m: isolate(m.group(1), language), escaped)


def _display_url(url: str, *, host_only: bool = False) -> str:
    parsed = urlparse(url)
    host = parsed.netloc.removeprefix("www.")
    if host_only or parsed.path in ("", "/"):
        return host
    return host + parsed.path.rstrip("/")
