"""Train the NLU model (cached by a hash of config, data and components) and evaluate it per language."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

logger = logging.getLogger(__name__)

NLU_DIR = Path(__file__).resolve().parent
REJECTED = ("nlu_fallback", "out_of_scope")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str
    # True for a test message with no evidence of its language ("CPAS", "😂", a word shared by Dari and Pashto):
    # it counts for intent accuracy, not for language identification.
    language_neutral: bool = False
    # The catalogue answer it asks for ("family-reunification", from "ask_residence/family-reunification").
    answer: Optional[str] = None


def data_files(data_dir: Path) -> List[Path]:
    """The NLU data files: `<lang>.yml` (intents) and `answers/<lang>.yml` (answers of the catalogue)."""
    return sorted(p for p in Path(data_dir).rglob("*.yml") if p.is_file())


def model_hash(config_path: Path, data_dir: Path) -> str:
    """A hash of everything that changes the trained model: config, training data, custom components."""
    import rasa

    digest = hashlib.sha256(rasa.__version__.encode())
    # names relative to their folder (answers/en.yml differs from en.yml), never the checkout's own folder name
    data = [(str(path.relative_to(data_dir)), path) for path in data_files(data_dir)]
    others = [(path.name, path) for path in (Path(config_path), *sorted((NLU_DIR / "components").glob("*.py")))]
    for name, path in others[:1] + data + others[1:]:
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def model_path_for(model_dir: Path, config_path: Path, data_dir: Path) -> Path:
    return Path(model_dir) / f"nlu-{model_hash(config_path, data_dir)}.tar.gz"


def train(config_path: Path, data_dir: Path, model_dir: Path, *, force: bool = False) -> Tuple[Path, bool]:
    """Train unless a model for exactly this config and data exists; return (path, trained_now)."""
    target = model_path_for(model_dir, config_path, data_dir)
    if target.exists() and not force:
        return target, False
    import warnings

    from rasa.model_training import train_nlu

    # The answer labels (<intent>/<id>) are read by nlu.components.answer_selector, which Rasa does not know as a
    # response selector; its warning that they would be unused is wrong here.
    warnings.filterwarnings("ignore", message="You have defined training data with examples for training a response selector")
    warnings.filterwarnings("ignore", message="Your training data contains an example .* You either need to add a response phrase")
    Path(model_dir).mkdir(parents=True, exist_ok=True)
    result = train_nlu(config=str(config_path), nlu_data=str(data_dir), output=str(model_dir),
                       fixed_model_name=target.name[: -len(".tar.gz")])
    if not result or not Path(result).exists():
        raise RuntimeError(f"Rasa did not produce a model from {config_path} and {data_dir}")
    if Path(result) != target:
        Path(result).replace(target)
    return target, True


def latest_model(model_dir: Path) -> Optional[Path]:
    models = sorted(Path(model_dir).glob("nlu-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def read_examples(paths: Iterable[Path]) -> List[Example]:
    """Labelled examples with their language (from the example or intent metadata, else the file name)."""
    from rasa.shared.nlu.constants import INTENT_RESPONSE_KEY
    from rasa.shared.nlu.training_data.loading import load_data

    from nlu.components.language_identifier import example_language

    examples = []
    for path in paths:
        for message in load_data(str(path)).intent_examples:
            metadata = (message.get("metadata") or {}).get("intent") or {}
            key = message.get(INTENT_RESPONSE_KEY) or ""
            examples.append(Example(message.get("text"), message.get("intent"), example_language(message) or path.stem,
                                    bool(metadata.get("language_neutral")), key.partition("/")[2] or None))
    return examples


@dataclass
class LanguageReport:
    language: str
    total: int = 0
    in_domain: int = 0
    correct: int = 0
    ood: int = 0
    ood_rejected: int = 0
    language_scored: int = 0
    language_correct: int = 0
    macro_f1: float = 0.0
    answers: int = 0  # test messages that ask for a catalogue answer
    answers_correct: int = 0
    answers_confident: int = 0  # ... whose answer was given with confidence (see ANSWER_CONFIDENT)
    answers_confident_wrong: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.in_domain if self.in_domain else 0.0

    @property
    def rejection(self) -> float:
        return self.ood_rejected / self.ood if self.ood else 0.0

    @property
    def language_accuracy(self) -> float:
        return self.language_correct / self.language_scored if self.language_scored else 0.0

    @property
    def answer_accuracy(self) -> float:
        return self.answers_correct / self.answers if self.answers else 0.0


@dataclass
class Evaluation:
    languages: Dict[str, LanguageReport]
    intents: Dict[str, Dict[str, float]]
    confusions: List[Tuple[str, str, int]]
    errors: List[Dict[str, object]] = field(default_factory=list)
    parse_ms: float = 0.0
    language_confusions: List[Tuple[str, str, int]] = field(default_factory=list)
    answer_confusions: List[Tuple[str, str, int]] = field(default_factory=list)

    @property
    def macro_accuracy(self) -> float:
        """Intent accuracy averaged over languages, each language weighing the same."""
        scored = [r for r in self.languages.values() if r.in_domain]
        return sum(r.accuracy for r in scored) / len(scored) if scored else 0.0

    @property
    def macro_answer_accuracy(self) -> float:
        """Answer accuracy averaged over the languages that have answer test messages."""
        scored = [r for r in self.languages.values() if r.answers]
        return sum(r.answer_accuracy for r in scored) / len(scored) if scored else 0.0

    def answer_table(self) -> List[str]:
        if not any(r.answers for r in self.languages.values()):
            return []
        lines = ["", "language  answers  answer-acc  given-confidently  wrong-when-confident",
                 "--------  -------  ----------  -----------------  --------------------"]
        for code in sorted(self.languages):
            r = self.languages[code]
            if r.answers:
                lines.append(f"{code:<8}  {r.answers:>7}  {r.answer_accuracy:>9.1%}  {r.answers_confident / r.answers:>16.1%}  "
                             f"{(r.answers_confident_wrong / r.answers_confident if r.answers_confident else 0):>19.1%}")
        lines.append(f"{'macro':<8}  {'':>7}  {self.macro_answer_accuracy:>9.1%}")
        if self.answer_confusions:
            lines += ["", "most frequent answer confusions (expected -> chosen: count)"]
            lines += [f"  {a} -> {b}: {n}" for a, b, n in self.answer_confusions[:25]]
        return lines

    def table(self) -> str:
        lines = ["language  n    intent-acc  macro-F1  OOD-rejected  language-id (n)",
                 "--------  ---  ----------  --------  ------------  ---------------"]
        for code in sorted(self.languages):
            r = self.languages[code]
            if not r.total:
                continue
            lines.append(f"{code:<8}  {r.total:<3}  {r.accuracy:>9.1%}  {r.macro_f1:>8.3f}  "
                         f"{r.rejection:>11.1%}  {r.language_accuracy:>10.1%} ({r.language_scored})")
        lines.append(f"{'macro':<8}  {'':<3}  {self.macro_accuracy:>9.1%}")
        lines += ["", "intent                    precision  recall  F1     support",
                  "------------------------  ---------  ------  -----  -------"]
        for intent in sorted(self.intents):
            m = self.intents[intent]
            lines.append(f"{intent:<24}  {m['precision']:>9.3f}  {m['recall']:>6.3f}  {m['f1-score']:>5.3f}  {int(m['support']):>7}")
        if self.confusions:
            lines += ["", "most frequent confusions (expected -> predicted: count)"]
            lines += [f"  {a} -> {b}: {n}" for a, b, n in self.confusions[:15]]
        if self.language_confusions:
            lines += ["", "language identification confusions (expected -> detected: count)"]
            lines += [f"  {a} -> {b}: {n}" for a, b, n in self.language_confusions[:15]]
        lines += self.answer_table()
        lines.append(f"\nmedian parse time per message (batch of one): {self.parse_ms:.2f} ms")
        return "\n".join(lines)


def _gold(intent: str) -> str:
    return "out_of_scope" if intent in REJECTED else intent


def evaluate(parser, examples: Sequence[Example], report_dir: Optional[Path] = None) -> Evaluation:
    """Parse every test example; report accuracy, macro-F1, rejection and language id per language."""
    from sklearn.metrics import classification_report, f1_score

    results = parser.parse_many([e.text for e in examples])
    languages: Dict[str, LanguageReport] = {}
    by_language: Dict[str, Tuple[List[str], List[str]]] = defaultdict(lambda: ([], []))
    confusions: Counter = Counter()
    language_confusions: Counter = Counter()
    errors = []
    gold_all, predicted_all = [], []
    answer_confusions: Counter = Counter()
    for example, result in zip(examples, results):
        report = languages.setdefault(example.language, LanguageReport(example.language))
        gold, predicted = _gold(example.intent), _gold(result.intent)
        if not example.language_neutral and example.answer is None:
            report.language_scored += 1
            report.language_correct += result.language == example.language
            if result.language != example.language:
                language_confusions[(example.language, result.language)] += 1
        if example.answer is not None:  # the answer test set: scored on answers only
            report.answers += 1
            right = result.answer == example.answer
            report.answers_correct += right
            if result.answer_confident:
                report.answers_confident += 1
                report.answers_confident_wrong += not right
            if not right:
                answer_confusions[(example.answer, result.answer or predicted)] += 1
                errors.append({"text": example.text, "language": example.language, "expected_answer": example.answer,
                               "predicted_answer": result.answer, "predicted_intent": result.intent,
                               "answer_confidence": round(result.answer_confidence, 3)})
            continue
        report.total += 1
        if gold == "out_of_scope":
            report.ood += 1
            report.ood_rejected += predicted == "out_of_scope"
        else:
            report.in_domain += 1
            report.correct += predicted == gold
        by_language[example.language][0].append(gold)
        by_language[example.language][1].append(predicted)
        gold_all.append(gold)
        predicted_all.append(predicted)
        if gold != predicted or result.language != example.language:
            if gold != predicted:
                confusions[(gold, predicted)] += 1
            errors.append({"text": example.text, "language": example.language, "expected": gold,
                           "predicted": result.intent, "confidence": round(result.confidence, 3),
                           "detected_language": result.language})
    for code, (gold, predicted) in by_language.items():
        labels = sorted(set(gold))
        languages[code].macro_f1 = float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0))
    intents = classification_report(gold_all, predicted_all, output_dict=True, zero_division=0)
    intents = {k: v for k, v in intents.items() if isinstance(v, dict) and k not in ("macro avg", "weighted avg")}
    timings = []
    for example in examples[: min(len(examples), 300)]:
        start = time.perf_counter()
        parser.parse(example.text)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    evaluation = Evaluation(languages, intents, [(a, b, n) for (a, b), n in confusions.most_common()], errors,
                            timings[len(timings) // 2] if timings else 0.0,
                            [(a, b, n) for (a, b), n in language_confusions.most_common()],
                            [(a, b, n) for (a, b), n in answer_confusions.most_common()])
    if report_dir is not None:
        write_reports(evaluation, gold_all, predicted_all, Path(report_dir))
    return evaluation


def write_reports(evaluation: Evaluation, gold: List[str], predicted: List[str], report_dir: Path) -> None:
    """Rasa's report files (intent_report.json, intent_errors.json) plus a per-language summary."""
    from sklearn.metrics import classification_report

    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "intent_report.json").write_text(
        json.dumps(classification_report(gold, predicted, output_dict=True, zero_division=0), indent=2))
    (report_dir / "intent_errors.json").write_text(json.dumps(evaluation.errors, indent=2, ensure_ascii=False))
    summary = {code: {"n": r.total, "language_scored": r.language_scored, "accuracy": r.accuracy, "macro_f1": r.macro_f1, "ood_rejection": r.rejection,
                      "language_id": r.language_accuracy, "answers": r.answers, "answer_accuracy": r.answer_accuracy}
               for code, r in evaluation.languages.items()}
    (report_dir / "answer_confusions.json").write_text(json.dumps(evaluation.answer_confusions, indent=2))
    (report_dir / "language_report.json").write_text(json.dumps(summary, indent=2))
    (report_dir / "report.txt").write_text(evaluation.table() + "\n")


def answer_labels(data_dir: Path, shown_root: Optional[Path] = None) -> Dict[str, Dict[str, Tuple[str, int, int]]]:
    """The answer labels of the NLU data, read without Rasa (for `guichet kb validate`):
    "<intent>/<id>" -> language -> (file, line, number of examples)."""
    from ruamel.yaml import YAML

    labels: Dict[str, Dict[str, Tuple[str, int, int]]] = {}
    for path in data_files(data_dir):
        try:
            shown = str(path.resolve().relative_to((shown_root or Path.cwd()).resolve()))
        except ValueError:
            shown = str(path)
        document = YAML(typ="rt").load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu") or ():
            label = str(block.get("intent") or "")
            if "/" not in label:
                continue
            language = ((block.get("metadata") or {}).get("language")) or path.stem
            examples = [line for line in str(block.get("examples") or "").splitlines() if line.strip().startswith("- ")]
            line = block.lc.line + 1 if hasattr(block, "lc") else 1
            earlier = labels.setdefault(label, {}).get(language)
            # the same label and language in several blocks or files: the first place, the examples added up
            labels[label][language] = ((earlier[0], earlier[1], earlier[2] + len(examples)) if earlier
                                       else (shown, line, len(examples)))
    return labels
