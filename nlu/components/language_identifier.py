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
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "numpy.float64",
    "scipy.sparse._csr.csr_matrix",
    "numpy.int64",
    "builtins.getattr",
}


# Letters of the non-Latin scripts of the target languages: Cyrillic, Arabic (with Persian/Pashto forms), Ge'ez.
_NON_LATIN = re.compile(r"[\u0400-\u04FF\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF\u1200-\u139F\u2D80-\u2DDF\uAB00-\uAB2F]")
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

        `min_ngram`/`max_ngram`: character n-gram sizes; `c`: inverse regularisation of the
        logistic regression; `max_chars`: only the start of very long messages is looked at.
        """
        return {"min_ngram": 1, "max_ngram": 4, "c": 10.0, "max_chars": 1000}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 pipeline: Any = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._pipeline = pipeline
        self._idf = None  # the pipeline's idf weights as an array (see `probabilities`)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageIdentifier":
        """Creates an untrained identifier."""
        return cls(config, model_storage, resource)

    def _new_pipeline(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        return make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(self._config["min_ngram"], self._config["max_ngram"]),
                            sublinear_tf=True, lowercase=True),
            LogisticRegression(C=self._config["c"], max_iter=3000),
        )

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
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.preprocessing import normalize

        vectorizer, model = self._pipeline[0], self._pipeline[-1]
        tfidf = getattr(vectorizer, "_tfidf", None)
        if len(self._pipeline) != 2 or tfidf is None or not hasattr(tfidf, "_idf_diag"):
            return self._pipeline.predict_proba(texts)
        if self._idf is None:
            self._idf = np.asarray(tfidf._idf_diag.diagonal(), dtype=np.float64)
        X = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
        if tfidf.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1
        if tfidf.use_idf:
            X.data *= self._idf[X.indices]
        if tfidf.norm:
            X = normalize(X, norm=tfidf.norm, copy=False)
        return model.predict_proba(X)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples keep their labelled language."""
        for message in training_data.training_examples:
            language = example_language(message)
            if language:
                message.set(LANGUAGE, language)
        return training_data
