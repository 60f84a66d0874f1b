"""Rules the parser applies to the model's output (no model needed)."""

from __future__ import annotations

from nlu.parser import NLUParser


def _data(*ranking):
    return {"intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]}


def test_out_of_scope_close_behind_the_top_intent_wins():
    result = NLUParser._result("give me a cake recipe", _data(("goodbye", 0.48), ("out_of_scope", 0.43), ("thanks", 0.05)))
    assert (result.intent, result.confidence) == ("out_of_scope", 0.43)


def test_a_clear_top_intent_stays():
    result = NLUParser._result("bye", _data(("goodbye", 0.60), ("out_of_scope", 0.30)))
    assert (result.intent, result.confidence) == ("goodbye", 0.60)


def test_an_emergency_is_never_turned_out_of_scope():
    result = NLUParser._result("help", _data(("emergency", 0.45), ("out_of_scope", 0.44)))
    assert result.intent == "emergency"


def test_out_of_scope_further_down_does_not_count():
    result = NLUParser._result("x", _data(("ask_housing", 0.40), ("ask_health", 0.35), ("out_of_scope", 0.25)))
    assert result.intent == "ask_housing"
