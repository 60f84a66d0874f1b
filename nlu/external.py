"""The NLU on text nobody here wrote: `../shared/eval-external` (public benchmarks; test sets only, never trained
on — tests/nlu/test_nlu.py checks that none of its lines is in the training data).

Per dataset and file (one language or variety): language-identification accuracy of Guichet and, in the same
run, of lingua-language-detector restricted to the Guichet languages it supports; for MASSIVE (commands to a
voice assistant: out of Guichet's domain) the share that Guichet rejects, its `general_greet` lines left out.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from nlu.training import REJECTED

# Digests of every external line (normalised), kept in the repository so that the check that none of them is
# trained on also runs where ../shared/eval-external is absent. Rewrite with `python -m nlu.external DIR`.
DIGESTS = Path(__file__).resolve().parent / "eval-external.digests"

# Guichet languages that lingua-language-detector 2.1 knows (not Pashto, not Tigrinya).
LINGUA_LANGUAGES = {"en": "ENGLISH", "fr": "FRENCH", "nl": "DUTCH", "ar": "ARABIC", "fa": "PERSIAN", "so": "SOMALI",
                    "uk": "UKRAINIAN", "ru": "RUSSIAN", "tr": "TURKISH", "es": "SPANISH"}
SHORT_DATASETS = ("tatoeba_laser", "massive")  # the short external texts of issue 14's comparison
GREETINGS = "general_greet"  # MASSIVE lines that are greetings, which Guichet answers on purpose


@dataclass
class Line:
    text: str
    language: str
    intent: Optional[str] = None


@dataclass
class Row:
    dataset: str
    name: str  # file stem: the language or variety ("fa-IR", "ti-ET")
    language: str
    total: int
    guichet_correct: int
    lingua_correct: Optional[int]  # None: lingua does not know this language
    ood: int = 0  # MASSIVE lines other than greetings
    ood_rejected: int = 0

    @property
    def guichet(self) -> float:
        return self.guichet_correct / self.total

    @property
    def lingua(self) -> Optional[float]:
        return None if self.lingua_correct is None else self.lingua_correct / self.total


def read_external(directory: Path) -> Dict[tuple, List[Line]]:
    """{(dataset, file stem): lines} from `<dataset>/<name>.jsonl`."""
    files: Dict[tuple, List[Line]] = {}
    for path in sorted(Path(directory).glob("*/*.jsonl")):
        lines = []
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                record = json.loads(raw)
                lines.append(Line(record["text"], record["lang"], record.get("intent")))
        if lines:
            files[(path.parent.name, path.stem)] = lines
    return files


def normalise(text: str) -> str:
    """Case, accents' composition, punctuation and spacing do not make a line new: "Is it cold outside?" = "is it
    cold outside"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def digest(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:16]


def external_digests(directory: Optional[Path] = None) -> set:
    """Digests of the external lines: computed from `directory`, else read from DIGESTS."""
    if directory is not None:
        return {digest(line.text) for lines in read_external(directory).values() for line in lines}
    return set(DIGESTS.read_text(encoding="ascii").split())


def lingua_detector(languages: Sequence[str]) -> Callable[[List[str]], List[Optional[str]]]:
    """lingua-language-detector restricted to `languages` (those it knows); returns codes, or None when unsure."""
    from lingua import Language, LanguageDetectorBuilder

    known = [getattr(Language, LINGUA_LANGUAGES[code]) for code in languages if code in LINGUA_LANGUAGES]
    detector = LanguageDetectorBuilder.from_languages(*known).build()

    def detect(texts: List[str]) -> List[Optional[str]]:
        found = detector.detect_languages_in_parallel_of(texts)
        return [language.iso_code_639_1.name.lower() if language is not None else None for language in found]

    return detect


def evaluate_external(parse_many: Callable[[List[str]], list], files: Dict[tuple, List[Line]],
                      lingua: Optional[Callable[[List[str]], List[Optional[str]]]]) -> List[Row]:
    rows = []
    for (dataset, name), lines in files.items():
        texts = [line.text for line in lines]
        parsed = []
        for start in range(0, len(texts), 32):
            parsed += parse_many(texts[start:start + 32])
        language = lines[0].language
        guichet_correct = sum(result.language == line.language for result, line in zip(parsed, lines))
        lingua_correct = None
        if lingua is not None and language in LINGUA_LANGUAGES:
            lingua_correct = sum(found == line.language for found, line in zip(lingua(texts), lines))
        row = Row(dataset, name, language, len(lines), guichet_correct, lingua_correct)
        if dataset == "massive":
            scored = [result for result, line in zip(parsed, lines) if line.intent != GREETINGS]
            row.ood, row.ood_rejected = len(scored), sum(result.intent in REJECTED for result in scored)
        rows.append(row)
    return rows


def _percent(value: Optional[float]) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def table(rows: List[Row]) -> str:
    """The Markdown table of README's "Text nobody here wrote", and the short-text comparison below it."""
    out = ["| dataset | file | n | language id, Guichet | language id, lingua | MASSIVE rejected (no greetings) |",
           "|---|---|---|---|---|---|"]
    for row in rows:
        rejected = f"{_percent(row.ood_rejected / row.ood)} ({row.ood_rejected}/{row.ood})" if row.ood else ""
        out.append(f"| {row.dataset} | {row.name} | {row.total} | {_percent(row.guichet)} | {_percent(row.lingua)} | {rejected} |")
    short = [row for row in rows if row.dataset in SHORT_DATASETS and row.lingua_correct is not None]
    if short:
        total = sum(row.total for row in short)
        guichet_errors = sum(row.total - row.guichet_correct for row in short)
        lingua_errors = sum(row.total - row.lingua_correct for row in short)
        out.append(f"\nshort texts ({', '.join(SHORT_DATASETS)}; the {len({r.language for r in short})} languages lingua "
                   f"knows; {total} lines): language-id error Guichet {100 * guichet_errors / total:.2f}% "
                   f"({guichet_errors}), lingua {100 * lingua_errors / total:.2f}% ({lingua_errors})")
    return "\n".join(out)


if __name__ == "__main__":  # python -m nlu.external DIR: rewrite DIGESTS from the external folder
    import sys

    DIGESTS.write_text("\n".join(sorted(external_digests(Path(sys.argv[1])))) + "\n", encoding="ascii")
    print(f"{DIGESTS}: {len(DIGESTS.read_text().split())} digests")
