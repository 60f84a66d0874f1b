"""nlu.fast parses like Rasa's graph runner: same labels and confidences on every held-out message, at batch
sizes 1 and 32 (the real model)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.cli import NLU_TESTS
from nlu.parser import NLUParser
from nlu.training import data_files, read_examples

TOLERANCE = 1e-9  # the same sums in the same order: in practice equal to the last bit


@pytest.fixture(scope="module")
def rasa_parser(nlu_model):
    parser = NLUParser(nlu_model, fast=False)
    yield parser
    parser.close()


def _held_out_texts():
    texts = sorted({example.text for example in read_examples(data_files(NLU_TESTS))})
    # and the kinds of text the test sets lack: punctuation only around words, digits, emoji, mixed scripts
    return texts + ["???", "ok 👍", "0488 12 34 56", "بدي titre de séjour", "CPAS!!", "/greet", "a" * 300]


def _same(fast, slow) -> list:
    """The differences between two ParseResults (empty when they agree)."""
    differences = []
    for name in ("intent", "language", "answer", "entities"):
        if getattr(fast, name) != getattr(slow, name):
            differences.append((name, getattr(fast, name), getattr(slow, name)))
    for name in ("confidence", "language_confidence", "answer_confidence"):
        if not math.isclose(getattr(fast, name), getattr(slow, name), rel_tol=0, abs_tol=TOLERANCE):
            differences.append((name, getattr(fast, name), getattr(slow, name)))
    for name in ("ranking", "answer_ranking"):
        a, b = getattr(fast, name), getattr(slow, name)
        if [label for label, _ in a] != [label for label, _ in b] or any(
                abs(x - y) > TOLERANCE for (_, x), (_, y) in zip(a, b)):
            differences.append((name, a[:3], b[:3]))
    return differences


def test_the_fast_path_is_the_one_in_use(parser):
    assert parser._fast is not None


def test_fast_parses_equal_rasa_runner_parses_on_every_held_out_message(parser, rasa_parser):
    texts = _held_out_texts()
    assert len(texts) > 8_000
    fast, slow = [], []
    for start in range(0, len(texts), 32):
        fast += parser.parse_many(texts[start:start + 32])
        slow += rasa_parser.parse_many(texts[start:start + 32])
    different = [(text, _same(a, b)) for text, a, b in zip(texts, fast, slow) if _same(a, b)]
    assert different == []


def test_one_message_at_a_time_parses_like_a_batch(parser, rasa_parser):
    texts = _held_out_texts()[::40]
    one_by_one = [parser.parse_many([text])[0] for text in texts]
    slow = [rasa_parser.parse_many([text])[0] for text in texts]
    assert [(text, _same(a, b)) for text, a, b in zip(texts, one_by_one, slow) if _same(a, b)] == []


def test_the_language_identifier_computes_what_its_scikit_learn_pipeline_computes(parser):
    """LanguageIdentifier.probabilities skips scikit-learn's checks; the numbers must be the pipeline's (the same
    products, summed in another order: equal to 1e-12), alone or in a batch."""
    from nlu.components.language_identifier import LanguageIdentifier, sentence_text

    identifier = parser._fast.identifier
    assert isinstance(identifier, LanguageIdentifier)
    texts = [sentence_text(text) for text in _held_out_texts()]
    expected = identifier._pipeline.predict_proba(texts)
    assert abs(identifier.probabilities(texts) - expected).max() < 1e-12
    one = np.vstack([identifier.probabilities([text]) for text in texts[::50]])
    assert abs(one - expected[::50]).max() < 1e-12
