"""The only runtime door to Rasa: load a trained NLU model once, parse text into frozen results."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from nlu.junk import junk_reason

logger = logging.getLogger(__name__)

# An answer at least this sure (relative to the other answers of its intent) is given directly; below it the
# person chooses among the closest questions (README, "Answers": chosen on the answer dev set).
ANSWER_CONFIDENT = 0.7
# Answers below this share are not offered as "closest" questions.
ANSWER_CANDIDATE = 0.1
# How much the intent classifier's confidence weighs in the choice of an answer (an exponent; 0: not at all).
INTENT_WEIGHT = 0.5
# A message whose runner-up intent is out_of_scope, at less than this below the top intent, is out of scope
# (an emergency excepted). Chosen on the dev set: out-of-domain rejected 91.7 → 93.1% macro, intents −0.06 point.
OUT_OF_SCOPE_MARGIN = 0.1


class ModelNotFound(FileNotFoundError):
    """No trained NLU model where one was expected."""


@dataclass(frozen=True)
class ParseResult:
    """What the NLU understood of one message."""

    text: str
    intent: str
    confidence: float
    language: Optional[str] = None
    language_confidence: float = 0.0
    entities: Tuple[Dict[str, Any], ...] = ()
    ranking: Tuple[Tuple[str, float], ...] = field(default=(), compare=False)
    # The specific answer of the catalogue (an id such as "family-reunification"); None when `intent` has no
    # answers. Usually one of `intent`'s, but the selector can overrule a hesitant intent classifier (see
    # `answer_ranking`). Its confidence is its share among all answers.
    answer: Optional[str] = None
    answer_confidence: float = 0.0
    answer_ranking: Tuple[Tuple[str, float], ...] = field(default=(), compare=False)

    @property
    def answer_confident(self) -> bool:
        return self.answer is not None and self.answer_confidence >= ANSWER_CONFIDENT

    def answer_candidates(self, limit: int = 4) -> Tuple[str, ...]:
        """The closest answers, best first, for "which one is closest?" (at most `limit`)."""
        return tuple(answer for answer, score in self.answer_ranking[:limit] if score >= ANSWER_CANDIDATE)

    def as_json(self) -> Dict[str, Any]:
        """The `guichet nlu parse` JSON-lines contract."""
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "language": self.language,
            "language_confidence": round(self.language_confidence, 4),
            "entities": list(self.entities),
            "intent_ranking": [{"name": n, "confidence": round(c, 4)} for n, c in self.ranking],
            "answer": self.answer,
            "answer_confidence": round(self.answer_confidence, 4),
        }


def existing_model(model_path: Path) -> Path:
    """`model_path` as a Path, or ModelNotFound with how to make one."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise ModelNotFound(f"no NLU model at {model_path}: run 'guichet train' (or 'make setup')")
    return model_path


def _clean(text: str) -> str:
    # Rasa reads a leading "/" as a hand-written intent ("/greet"); a person's text is never that.
    # No length cap here: text over nlu.junk.TOO_LONG is junk and never reaches the model.
    return (text or "").strip().lstrip("/").strip()


class _Pending:
    """One message waiting for the model, filled in by whichever thread runs the batch."""

    __slots__ = ("text", "result", "error")

    def __init__(self, text: str):
        self.text = text
        self.result: Optional[ParseResult] = None
        self.error: Optional[BaseException] = None


class BatchingParser:
    """Batches concurrent `parse` calls. Thread-safe.

    One batch runs at a time. Threads that call `parse` while a batch is running queue their message; the
    next thread to get the model parses everything queued in one pass (a batch of 8 costs about half as much
    per message as 8 single parses), so a burst of messages shares the work. Subclasses run the batch.
    """

    MAX_BATCH = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()  # held while a batch runs
        self._queue_lock = threading.Lock()
        self._queue: List[_Pending] = []

    def _run_batch(self, texts: Sequence[str]) -> List[ParseResult]:
        raise NotImplementedError

    def parse(self, text: str) -> ParseResult:
        pending = _Pending(text)
        with self._queue_lock:
            self._queue.append(pending)
        while pending.result is None and pending.error is None:
            with self._lock:
                if pending.result is not None or pending.error is not None:
                    break  # another thread parsed it with its batch
                with self._queue_lock:
                    batch = self._queue[: self.MAX_BATCH]
                    del self._queue[: self.MAX_BATCH]
                try:
                    for item, result in zip(batch, self._run_batch([item.text for item in batch])):
                        item.result = result
                except BaseException as error:  # every waiting thread learns about it, not only this one
                    for item in batch:
                        item.error = error
        if pending.error is not None:
            raise pending.error
        return pending.result

    async def parse_async(self, text: str) -> ParseResult:
        """Parse `text` from the event loop, in a thread of the loop's default executor (batched like `parse`)."""
        return await asyncio.get_running_loop().run_in_executor(None, self.parse, text)

    def parse_many(self, texts: Sequence[str]) -> List[ParseResult]:
        """Parse several messages in one pass through the model."""
        with self._lock:
            return self._run_batch(texts)


class NLUParser(BatchingParser):
    """A Rasa NLU model loaded in this process. Thread-safe; concurrent parses share batches.

    `workdir` is where the model is unpacked (a new temporary directory inside it; default: the system's).
    """

    def __init__(self, model_path: Path, workdir: Optional[Path] = None, *, fast: bool = True):
        from rasa.engine.loader import load_predict_graph_runner
        from rasa.engine.runner.dask import DaskGraphRunner
        from rasa.engine.storage.local_model_storage import LocalModelStorage

        super().__init__()
        self.model_path = existing_model(model_path)
        self._storage_dir = Path(tempfile.mkdtemp(prefix="guichet-nlu-", dir=workdir))
        self._metadata, self._runner = load_predict_graph_runner(
            self._storage_dir, self.model_path, LocalModelStorage, DaskGraphRunner
        )
        # The same components without Rasa's graph runner (nlu.fast); None: Rasa's runner parses.
        self._fast = None
        if fast:
            from nlu.fast import FastPipeline

            self._fast = FastPipeline.from_runner(self._runner)
            if self._fast is None:
                logger.warning("this model's pipeline is not the one nlu.fast knows: parsing with Rasa's graph runner")

    def close(self) -> None:
        shutil.rmtree(self._storage_dir, ignore_errors=True)

    def _run_batch(self, texts: Sequence[str]) -> List[ParseResult]:
        from rasa.core.channels.channel import UserMessage

        cleaned = [_clean(t) for t in texts]
        results: List[Optional[ParseResult]] = [None] * len(texts)
        for i, text in enumerate(cleaned):
            if not text or junk_reason(texts[i]):  # no language either: the person's stays as it was
                results[i] = ParseResult(text=texts[i] or "", intent="nlu_fallback", confidence=0.0)
        todo = [i for i, result in enumerate(results) if result is None]
        if todo and self._fast is not None:
            for i, data in zip(todo, self._fast.parse([cleaned[i] for i in todo])):
                results[i] = self._result(texts[i], data)
        elif todo:
            output = self._runner.run(
                inputs={"__message__": [UserMessage(cleaned[i]) for i in todo]},
                targets=[self._metadata.nlu_target],
            )[self._metadata.nlu_target]
            for i, message in zip(todo, output):
                results[i] = self._result(texts[i], message.as_dict(only_output_properties=True))
        return [r for r in results if r is not None]

    @staticmethod
    def _result(text: str, data: Dict[str, Any]) -> ParseResult:
        intent = data.get("intent") or {}
        name = intent.get("name") or "nlu_fallback"
        confidence = float(intent.get("confidence") or 0.0)
        ranking = tuple((r["name"], float(r["confidence"])) for r in data.get("intent_ranking") or ())
        if (len(ranking) > 1 and ranking[0][0] == name and name != "emergency" and ranking[1][0] == "out_of_scope"
                and ranking[0][1] - ranking[1][1] < OUT_OF_SCOPE_MARGIN):
            name, confidence = ranking[1]
        answers = answer_ranking(name, data.get("response_selector"), ranking)
        return ParseResult(
            text=text,
            intent=name,
            confidence=confidence,
            language=data.get("language"),
            language_confidence=float(data.get("language_confidence") or 0.0),
            entities=tuple(data.get("entities") or ()),
            ranking=ranking,
            answer=answers[0][0] if answers else None,
            answer_confidence=answers[0][1] if answers else 0.0,
            answer_ranking=answers,
        )


def answer_ranking(intent: str, selector: Optional[Dict[str, Any]],
                   intents: Sequence[Tuple[str, float]] = ()) -> Tuple[Tuple[str, float], ...]:
    """The answers, best first, with confidences that sum to 1; () when `intent` has no answers.

    `selector` is the `response_selector` output of Rasa's ResponseSelector or of
    nlu.components.answer_selector (same shape): a ranking of labels "<intent>/<answer id>" over every intent.
    Each answer's score is the selector's confidence times the square root of its intent's confidence (from
    `intents`, the intent ranking): the selector alone, or the intent classifier alone, each make more mistakes
    than the two together (README, "Answers"). A message whose intent has no answers (greetings, fallback,
    emergency) gets none.
    """
    ranking = ((selector or {}).get("default") or {}).get("ranking") or ()
    prefix = f"{intent}/"
    if not any(str(item.get("intent_response_key") or "").startswith(prefix) for item in ranking):
        return ()
    weights = dict(intents) or {intent: 1.0}
    scores = []
    for item in ranking:
        label, _, answer = str(item.get("intent_response_key") or "").partition("/")
        weight = max(weights.get(label, 0.0), 0.0) ** INTENT_WEIGHT
        if answer and weight > 0:
            scores.append((answer, max(float(item.get("confidence") or 0.0), 0.0) * weight))
    total = sum(score for _, score in scores)
    if not scores or total <= 0:
        return ()
    return tuple(sorted(((answer, score / total) for answer, score in scores), key=lambda item: -item[1]))
