"""Spelling variants people type are folded into one form before the n-gram featurizers."""

from __future__ import annotations

import pytest
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.components.tokenizer import FoldingTokenizer, fold


@pytest.mark.parametrize("typed, school", [
    ("اشتغل", "أشتغل"),  # hamza left out
    ("بطاقه", "بطاقة"),  # ta marbuta typed as ha
    ("مستشفي", "مُسْتَشْفَى"),  # harakat and alef maqsura
    ("مسوول", "مسؤول"),
    ("sejour", "séjour"),
    ("ogrenci", "öğrenci"),
    ("calisma izni", "çalışma izni"),
    ("nino", "niño"),
    ("еще", "ещё"),
])
def test_typed_and_school_spellings_fold_to_the_same_word(typed, school):
    assert fold(typed) == fold(school)


@pytest.mark.parametrize("word", ["їжа", "йти", "ትምህርቲ", "پوهنتون", "کار", "ستاسې", "Straße"])
def test_letters_that_are_not_variants_stay(word):
    assert fold(word) == word


def test_the_tokens_keep_their_text_and_carry_the_folded_lemma():
    config = {**WhitespaceTokenizer.get_default_config()}
    tokens = FoldingTokenizer(config).tokenize(Message(data={"text": "carte de séjour أشتغل"}), "text")
    assert [t.text for t in tokens] == ["carte", "de", "séjour", "أشتغل"]
    assert [t.lemma for t in tokens] == ["carte", "de", "sejour", "اشتغل"]
