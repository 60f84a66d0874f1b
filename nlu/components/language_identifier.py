"""Language identification as a Rasa graph component: sets `language` and `language_confidence`."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.linear import fast_coefficients

logger = logging.getLogger(__name__)

LANGUAGE = "language"
LANGUAGE_CONFIDENCE = "language_confidence"
# Types a persisted identifier may contain; anything else in the file refuses to load.
_TRUSTED_TYPES = {
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "numpy.float64",
    "scipy.sparse._csr.csr_matrix",
    "numpy.int64",
    "builtins.getattr",
}


# Letters of the non-Latin scripts of the target languages: Cyrillic, Arabic (with Persian/Pashto forms), Ge'ez.
_CYRILLIC_LETTERS = "\u0400-\u04FF"
_ARABIC_LETTERS = "\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF"
_ETHIOPIC_LETTERS = "\u1200-\u139F\u2D80-\u2DDF\uAB00-\uAB2F"
_NON_LATIN = re.compile(f"[{_CYRILLIC_LETTERS}{_ARABIC_LETTERS}{_ETHIOPIC_LETTERS}]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'’]*")


def sentence_text(text: str) -> str:
    """The part of a message that tells its language.

    A message written in a non-Latin script is judged without its Latin-script words: in "بدي titre de séjour"
    or "потрібен CPAS" the borrowed French words say nothing about the writer's language. Latin-only
    messages (French, Somali, romanised Dari, Arabizi…) are kept whole.
    """
    return _LATIN_WORD.sub(" ", text) if _NON_LATIN.search(text) else text


def example_language(message: Message) -> Optional[str]:
    """The language a training example is labelled with (example metadata wins over intent metadata)."""
    metadata = message.get("metadata") or {}
    for level in ("example", "intent"):
        language = (metadata.get(level) or {}).get(LANGUAGE)
        if language:
            return str(language)
    return None


_ETHIOPIC = re.compile(f"[{_ETHIOPIC_LETTERS}]")
_ARABIC = re.compile(f"[{_ARABIC_LETTERS}]")
_CYRILLIC = re.compile(f"[{_CYRILLIC_LETTERS}]")
_SCRIPTS = {"ethiopic": _ETHIOPIC, "arabic": _ARABIC, "cyrillic": _CYRILLIC}


def _script(text: str) -> Optional[Any]:
    """The script a message is written in, as one of _SCRIPTS' patterns (None: Latin or no letters). A message
    mixing scripts counts as Ge'ez, then Arabic, then Cyrillic: the borrowed words are the Latin or Cyrillic ones."""
    for pattern in (_ETHIOPIC, _ARABIC, _CYRILLIC):
        if pattern.search(text):
            return pattern
    return None


def _tfidf(vectorizer: Any, idf: Any, texts: List[str]) -> Any:
    """What scikit-learn 1.1's TfidfVectorizer.transform returns, without its checks (see `probabilities`)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    tfidf = vectorizer._tfidf
    X = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
    if tfidf.sublinear_tf:
        np.log(X.data, X.data)
        X.data += 1
    if tfidf.use_idf:
        X.data *= idf[X.indices]
    if tfidf.norm:
        X = normalize(X, norm=tfidf.norm, copy=False)
    return X


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class LanguageIdentifier(GraphComponent):
    """Identifies the language of a message from character n-grams.

    Trained on the NLU training data, whose examples carry `metadata: {language: xx}`.
    Character n-grams inside word boundaries tell apart languages sharing a script
    and tolerate typos and borrowed words.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config.

        `min_ngram`/`max_ngram`: character n-gram sizes; `words`: whole words too; `c`: inverse regularisation
        of the logistic regression; `max_chars`: only the start of very long messages is looked at; `lingua`:
        {"languages": [...], "weight": w}: for a message in those languages' script, lingua-language-detector's
        confidences among them (to the power w) are multiplied into the identifier's (see `_with_lingua`).
        """
        return {"min_ngram": 1, "max_ngram": 4, "words": False, "c": 10.0, "max_chars": 1000, "lingua": None}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 pipeline: Any = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._pipeline = pipeline
        self._idf = None  # each vectorizer's idf weights as an array (see `probabilities`)
        self._lingua = None  # the lingua detector, built at the first message that needs it

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageIdentifier":
        """Creates an untrained identifier."""
        return cls(config, model_storage, resource)

    def _new_pipeline(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        features = TfidfVectorizer(analyzer="char_wb", ngram_range=(self._config["min_ngram"], self._config["max_ngram"]),
                                   sublinear_tf=True, lowercase=True)
        if self._config["words"]:
            features = make_union(features, TfidfVectorizer(analyzer="word", sublinear_tf=True, lowercase=True))
        return make_pipeline(features, LogisticRegression(C=self._config["c"], max_iter=3000))

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the identifier on every example that carries a language."""
        texts, labels = [], []
        for message in training_data.training_examples:
            language = example_language(message)
            if language and message.get(TEXT):
                texts.append(sentence_text(message.get(TEXT)))
                labels.append(language)
        if len(set(labels)) < 2:
            logger.warning("LanguageIdentifier: fewer than two labelled languages in the training data; not trained")
            self._pipeline = None
        else:
            self._pipeline = self._new_pipeline().fit(texts, labels)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Writes the fitted pipeline to the model storage (skops format, no pickle)."""
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            if self._pipeline is not None:
                sio.dump(self._pipeline, directory / "language_identifier.skops")

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LanguageIdentifier":
        """Loads what `persist` wrote, refusing files with unexpected types."""
        import skops.io as sio

        pipeline = None
        try:
            with model_storage.read_from(resource) as directory:
                path = directory / "language_identifier.skops"
                if path.exists():
                    untrusted = set(sio.get_untrusted_types(file=path))
                    if not untrusted <= _TRUSTED_TYPES:
                        raise ValueError(f"unexpected types in {path}: {sorted(untrusted - _TRUSTED_TYPES)}")
                    pipeline = sio.load(path, trusted=sorted(untrusted))
                    fast_coefficients(pipeline[-1])
        except ValueError as error:
            logger.warning("LanguageIdentifier could not be loaded: %s", error)
        return cls(config, model_storage, resource, pipeline)

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets `language` and `language_confidence` on each message."""
        if self._pipeline is None or not messages:
            return messages
        texts = [sentence_text((m.get(TEXT) or "")[: self._config["max_chars"]]) for m in messages]
        probabilities = self.probabilities(texts)
        classes = self._pipeline.classes_
        if self._config["lingua"]:
            probabilities = self._with_lingua(texts, probabilities, list(classes))
        for message, text, row in zip(messages, texts, probabilities):
            best = int(row.argmax())
            has_letters = any(ch.isalpha() for ch in text)
            message.set(LANGUAGE, str(classes[best]) if has_letters else None, add_to_output=True)
            message.set(LANGUAGE_CONFIDENCE, float(row[best]) if has_letters else 0.0, add_to_output=True)
        return messages

    def probabilities(self, texts: List[str]) -> Any:
        """`self._pipeline.predict_proba(texts)`, the same numbers without its per-call overhead.

        scikit-learn's TfidfTransformer.transform checks that it is fitted by computing `idf_`, a sum over the
        whole n-gram vocabulary, for every call, and multiplies by a sparse diagonal matrix: more than half the
        cost of identifying one short message. The steps below are those of scikit-learn 1.1's
        TfidfVectorizer.transform (tests/nlu/test_fast.py compares both on every held-out message)."""
        from scipy.sparse import hstack
        from sklearn.pipeline import FeatureUnion

        features, model = self._pipeline[0], self._pipeline[-1]
        vectorizers = [v for _, v in features.transformer_list] if isinstance(features, FeatureUnion) else [features]
        if len(self._pipeline) != 2 or not all(hasattr(getattr(v, "_tfidf", None), "_idf_diag") for v in vectorizers):
            return self._pipeline.predict_proba(texts)
        if self._idf is None:
            self._idf = [np.asarray(v._tfidf._idf_diag.diagonal(), dtype=np.float64) for v in vectorizers]
        parts = [_tfidf(vectorizer, idf, texts) for vectorizer, idf in zip(vectorizers, self._idf)]
        return model.predict_proba(parts[0] if len(parts) == 1 else hstack(parts).tocsr())

    def _with_lingua(self, texts: List[str], probabilities: Any, classes: List[str]) -> Any:
        """Sharpen the choice among `lingua.languages` (one script: Ukrainian and Russian) with lingua.

        On short everyday sentences our identifier, trained on questions about papers and work, takes Ukrainian
        for Russian more often than lingua does (README, "Text nobody here wrote"). Only messages written in
        those languages' script are touched, and only the languages lingua was asked about: for the others its
        factor is that of the best of them (neutral). Low-accuracy mode: a few MB, tens of microseconds.
        """
        languages = [language for language in self._config["lingua"]["languages"] if language in classes]
        weight = float(self._config["lingua"].get("weight", 1.0))
        script = _SCRIPTS.get(str(self._config["lingua"].get("script", "cyrillic")))
        if len(languages) < 2 or script is None:
            return probabilities
        if self._lingua is None:
            from lingua import IsoCode639_1, LanguageDetectorBuilder

            codes = [getattr(IsoCode639_1, language.upper()) for language in languages]
            self._lingua = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()
        columns = [classes.index(language) for language in languages]
        for row, text in enumerate(texts):
            if _script(text) is not script:
                continue
            values = {v.language.iso_code_639_1.name.lower(): v.value
                      for v in self._lingua.compute_language_confidence_values(text)}
            found = np.array([values.get(language, 0.0) for language in languages])
            if found.sum() <= 0:
                continue  # lingua has no opinion
            factors = np.full(len(classes), max(found.max(), 1e-6) ** weight)
            factors[columns] = np.maximum(found, 1e-6) ** weight
            mixed = probabilities[row] * factors
            probabilities[row] = mixed / mixed.sum()
        return probabilities

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples keep their labelled language."""
        for message in training_data.training_examples:
            language = example_language(message)
            if language:
                message.set(LANGUAGE, language)
        return training_data
