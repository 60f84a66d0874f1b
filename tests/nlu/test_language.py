"""Language identification with lingua-language-detector for Ukrainian and Russian (config.yml), real model."""

from __future__ import annotations

import copy

import numpy as np
from rasa.shared.nlu.training_data.message import Message

# Everyday Ukrainian with no letter that Russian lacks; the identifier alone takes both for Russian.
UKRAINIAN = ["Вони грають у футбол", "Я втомився"]


def _identify(component, text):
    message = Message(data={"text": text})
    component.process([message])
    return message.get("language"), message.get("language_confidence")


def test_lingua_tells_short_ukrainian_from_russian(parser):
    identifier = parser._fast.identifier
    assert identifier._config["lingua"]["languages"] == ["uk", "ru"]
    assert [_identify(identifier, text)[0] for text in UKRAINIAN] == ["uk", "uk"]
    assert _identify(identifier, "Я очень устал")[0] == "ru"


def test_lingua_leaves_other_scripts_alone(parser):
    identifier = parser._fast.identifier
    alone = copy.copy(identifier)
    alone._config = {**identifier._config, "lingua": None}
    for text in ("وين اقدر اتعلم فرنسي", "hello i need a flat", "ሰላም ከመይ ኣለኹም", "bdi titre de séjour"):
        assert _identify(alone, text) == _identify(identifier, text)
    texts = ["Вони грають у футбол"]
    assert not np.allclose(alone.probabilities(texts), identifier._with_lingua(texts, alone.probabilities(texts),
                                                                               list(identifier._pipeline.classes_)))
