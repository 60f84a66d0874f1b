"""Specific answers chosen by the real trained model, at the assistant level."""

from __future__ import annotations

import html
import itertools

import pytest
from ruamel.yaml import YAML

from bot.assistant import Sender
from knowledge.catalogue import CATALOGUE
from knowledge.schema import LANGUAGE_CODES
from tests.conftest import PROJECT_ROOT

# The issue's three questions, in English and as people would write them in Arabic, Dari and Tigrinya
# (written for this test; not in the training data).
EXAMPLES = {
    "asylum-seeker-work": {
        "en": "I have an orange card, am I allowed to work?",
        "ar": "عندي بطاقة برتقالية، هل مسموح لي أن أشتغل؟",
        "fa": "من کارت نارنجی دارم، آیا اجازه دارم کار کنم؟",
        "ti": "ብርቱኻናዊ ካርድ ኣለኒ፡ ክሰርሕ ይፍቀደለይ ድዩ?",
    },
    "family-reunification": {
        "en": "how can I bring my wife and kids to Belgium",
        "ar": "كيف أقدر أجيب زوجتي وأولادي إلى بلجيكا",
        "fa": "چطور می‌توانم خانمم و بچه‌هایم را به بلجیم بیاورم",
        "ti": "ንሰበይተይን ደቀይን ናብ ቤልጅየም ብኸመይ ከምጽኦም እኽእል?",
    },
    "eviction": {
        "en": "my landlord wants to kick me out next week what can I do",
        "ar": "صاحب البيت يريد أن يطردني الأسبوع القادم، ماذا أفعل؟",
        "fa": "صاحب خانه می‌خواهد هفته آینده مرا از خانه بیرون کند، چه کار کنم؟",
        "ti": "ወናኒ ገዛ ኣብ ዝመጽእ ሰሙን ካብ ገዛ ከውጽኣኒ ይደሊ ኣሎ፡ እንታይ ክገብር እኽእል?",
    },
}


def _first_examples():
    """(answer id, language, text): each catalogue answer asked in three languages (taking turns over the twelve),
    with the first training example of that answer and language."""
    languages = itertools.cycle(LANGUAGE_CODES)
    cases = []
    data = {}
    for code in LANGUAGE_CODES:
        document = YAML(typ="safe").load((PROJECT_ROOT / "nlu" / "data" / "answers" / f"{code}.yml").read_text("utf-8"))
        data[code] = {block["intent"]: block["examples"] for block in document["nlu"]}
    for intent, answer in CATALOGUE:
        for _ in range(3):
            code = next(languages)
            first = data[code][f"{intent}/{answer}"].strip().splitlines()[0].removeprefix("- ").strip()
            cases.append((answer, code, first))
    return cases


def _check(assistant, knowledge, say, answer_id, language, text):
    sender = Sender(f"t:{language}-{answer_id}", language)
    replies = say(assistant, sender, text)
    answer = knowledge.answer(answer_id)
    assert html.escape(answer.title.pick(language)[0]) in replies[0].text, (answer_id, language, text)
    assert replies[0].language == language
    first_service = knowledge.answer_services(answer)[0]
    assert html.escape(first_service.name) in "\n".join(r.text for r in replies)


@pytest.mark.parametrize("answer_id, language, text", _first_examples(), ids=lambda value: str(value)[:24])
def test_each_answer_asked_in_three_languages(assistant, knowledge, say, answer_id, language, text):
    _check(assistant, knowledge, say, answer_id, language, text)


@pytest.mark.parametrize("answer_id, language", [(a, code) for a, texts in EXAMPLES.items() for code in texts])
def test_the_three_questions_of_the_issue_get_their_specific_answers(assistant, knowledge, say, answer_id, language):
    _check(assistant, knowledge, say, answer_id, language, EXAMPLES[answer_id][language])
