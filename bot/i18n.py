"""gettext catalogs per language (compiled from `locales/`), babel locale negotiation, bidi helpers."""

from __future__ import annotations

import gettext as _gettext
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Iterable, Optional, Tuple

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_date
from babel.support import Translations
from rapidfuzz import fuzz, process

from bot.settings import PROJECT_ROOT
from knowledge.schema import LANGUAGE_CODES

LOCALES_DIR = PROJECT_ROOT / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"  # msgids are English

# Each language named in itself, for the language picker.
NATIVE_NAMES: Dict[str, str] = {
    "en": "English", "fr": "Français", "nl": "Nederlands", "ar": "العربية", "fa": "دری", "ps": "پښتو",
    "ti": "ትግርኛ", "so": "Soomaali", "uk": "Українська", "ru": "Русский", "tr": "Türkçe", "es": "Español",
}
RTL_LANGUAGES = frozenset({"ar", "fa", "ps"})
# How people name a language when they ask for it, beyond CLDR's names: adjectives, stems of inflected forms
# ("по-русски", "українською"), romanisations. Matched fuzzily, so typos and prefixes ("بالعربي") pass.
SPOKEN_NAMES: Dict[str, Tuple[str, ...]] = {
    "en": ("english", "inglizi", "انجليزي", "انكليزي", "انگلیسی", "انګلیسي", "англійськ", "английск", "ingilizce", "ingles"),
    "fr": ("francais", "français", "fransızca", "فرنسي", "فرانسوی", "французьк", "французск", "frans"),
    "nl": ("nederlands", "vlaams", "néerlandais", "neerlandais", "dutch", "هولندي"),
    "ar": ("arabic", "arabe", "arabi", "3arabi", "عربي", "عربی", "арабськ", "арабск"),
    "fa": ("farsi", "dari", "persian", "فارسی", "دری", "perse"),
    "ps": ("pashto", "pashtu", "pachto", "پښتو", "پشتو"),
    "ti": ("tigrinya", "tigrigna", "tigrinia", "ትግርኛ"),
    "so": ("somali", "soomaali", "somalien"),
    "uk": ("ukrainian", "ukrainien", "українськ", "украинск", "ukrainca"),
    "ru": ("russian", "russe", "русск", "русском", "російськ", "rusça", "ruso", "روسي"),
    "tr": ("turkish", "turc", "türkçe", "turkce", "турецьк", "турецк", "تركي"),
    "es": ("spanish", "espagnol", "español", "espanol", "іспанськ", "испанск", "اسباني"),
}

FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


class Catalogs:
    """The compiled catalogs found under `locales/<lang>/LC_MESSAGES/messages.mo`."""

    def __init__(self, locales_dir: Path = LOCALES_DIR):
        self._translations: Dict[str, _gettext.NullTranslations] = {}
        for code in LANGUAGE_CODES:
            mo = Path(locales_dir) / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if mo.exists():
                self._translations[code] = Translations.load(str(locales_dir), [code], DOMAIN)
        self._translations.setdefault(SOURCE_LANGUAGE, _gettext.NullTranslations())

    @property
    def languages(self) -> Tuple[str, ...]:
        """Languages the interface speaks, in the product's order."""
        return tuple(code for code in LANGUAGE_CODES if code in self._translations)

    def gettext(self, language: str) -> Callable[[str], str]:
        return self._translations.get(language, self._translations[SOURCE_LANGUAGE]).gettext

    def negotiate(self, language_code: Optional[str]) -> Optional[str]:
        """Map Telegram's IETF `language_code` (e.g. 'ar', 'fr-BE', 'pt-br') to a supported language."""
        if not language_code:
            return None
        preferred = [language_code.replace("-", "_"), language_code.split("-")[0]]
        return negotiate_locale(preferred, list(self.languages), sep="_")


def is_rtl(language: str) -> bool:
    return language in RTL_LANGUAGES


def isolate(text: str, language: str) -> str:
    """Wrap a left-to-right run (phone, URL, name, address) so it stays readable inside RTL text."""
    return f"{FSI}{text}{PDI}" if is_rtl(language) and text else text


def rtl_lines(text: str, language: str) -> str:
    """Start every line with a right-to-left mark in RTL languages, so each paragraph aligns right."""
    if not is_rtl(language):
        return text
    return "\n".join(RLM + line if line else line for line in text.split("\n"))


@lru_cache(maxsize=None)  # loaded on first use, not at import: most commands never need it
def known_language_codes() -> frozenset:
    """The interface languages and any ISO 639 code CLDR names (Amharic, Lingala…: interpreters speak more languages
    than the interface); language names such as 'arabic' are not codes."""
    return frozenset(LANGUAGE_CODES) | frozenset(
        code for code in Locale("en").languages if code.isascii() and code.isalpha() and 2 <= len(code) <= 3)


@lru_cache(maxsize=4096)  # CLDR lookups cost more than the rest of an answer; the answers never change
def language_name(code: str, in_language: str) -> str:
    """The name of language `code` written in `in_language` (babel CLDR data)."""
    try:
        return Locale.parse(in_language).languages.get(code) or NATIVE_NAMES.get(code, code)
    except (UnknownLocaleError, ValueError):
        return NATIVE_NAMES.get(code, code)


@lru_cache(maxsize=4096)
def local_date(value: date, language: str) -> str:
    try:
        return format_date(value, format="medium", locale=language)
    except (UnknownLocaleError, ValueError):
        return value.isoformat()


def in_own_names(codes: Iterable[str]) -> Tuple[Tuple[str, str], ...]:
    return tuple((code, NATIVE_NAMES.get(code, code)) for code in codes)


@lru_cache(maxsize=None)
def _names_for(codes: Tuple[str, ...]) -> Dict[str, str]:
    """Every name of every language in `codes`, lower-cased, mapped to its code."""
    names: Dict[str, str] = {}
    for code in codes:
        found = {NATIVE_NAMES.get(code, code), *SPOKEN_NAMES.get(code, ())}
        for in_language in codes:
            found.add(language_name(code, in_language))
        for name in found:
            if len(name) >= 4:
                names.setdefault(name.casefold(), code)
    return names


def requested_language(text: str, codes: Iterable[str]) -> Optional[str]:
    """The language a message asks for ("speak Arabic please", "en français svp", "بالعربي"), if it names one."""
    names = _names_for(tuple(codes))
    words = text.casefold()
    match = process.extractOne(words, list(names), scorer=fuzz.partial_ratio, score_cutoff=88)
    return names[match[0]] if match else None
