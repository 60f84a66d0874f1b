"""Rasa's WhitespaceTokenizer, with each word's spelling variants folded into one form for the featurizers.

People type on phones without the marks their school taught: "اشتغل" for "أشتغل", "بطاقه" for "بطاقة",
"sejour" for "séjour", "ogrenci" for "öğrenci", "еще" for "ещё". The n-gram featurizers read a token's `lemma`; this tokenizer sets it to the folded
word, so both spellings give the same features. The token's text (and the language identifier, which runs
before it on the raw message) are unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

# Arabic letters written for one another, to one form. Not the Persian and Pashto letters (ی, ک, ئ, ې…):
# folding ی and ک into Arabic ي and ك cost Dari and Pashto 10 points of intent accuracy on the dev set.
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و"})
# Harakat, shadda, sukun, superscript alef and tatweel: optional marks, rarely typed.
_ARABIC_MARKS = re.compile("[\u064B-\u065F\u0670\u0640]")
_LATIN_COMBINING = re.compile("[\u0300-\u036F]")


def _latin_without_accents() -> dict:
    """Latin letters with accents (U+00C0–U+024F) → the same letters without them ("é" → "e", "ş" → "s")."""
    table = {}
    for code in range(0xC0, 0x250):
        bare = _LATIN_COMBINING.sub("", unicodedata.normalize("NFD", chr(code)))
        if bare and bare != chr(code):
            table[code] = bare
    table[ord("ı")] = "i"
    table[ord("ё")], table[ord("Ё")] = "е", "Е"
    return table


_FOLDED_LETTERS = _latin_without_accents()


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """The spelling of `word` the featurizers see (lower case is left to them). Cached: words repeat."""
    word = unicodedata.normalize("NFKC", word)
    return _ARABIC_MARKS.sub("", word).translate(_ARABIC_LETTERS).translate(_FOLDED_LETTERS)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class FoldingTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer whose tokens carry the folded word as their lemma (see `fold`)."""

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = fold(token.text)
        return tokens
