"""A parse without Rasa's graph runner: the same fitted components, called in pipeline order on plain messages.

Rasa's predict graph runs every message through Dask, and its CountVectorsFeaturizers compute a vector for each
token (which only a sequence model would read) as well as the sentence vector; the classifiers then rebuild
the sentence features of each message from deep copies. For one message at a time that machinery costs more
than the model. `FastPipeline` keeps Rasa's trained components and their code (tokenizer, language identifier,
classifier, fallback, answer selector) and replaces only the featurisation: one pass per featurizer over the
message's tokens, straight into the sparse row the classifiers read, the same numbers as Rasa's sentence
features. tests/nlu/test_fast.py compares both paths on every held-out message.

It supports exactly the pipeline of config.yml (checked when it is built); another pipeline gets None and the
parser keeps Rasa's runner.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from scipy.sparse import csr_matrix

_NODE_INDEX = re.compile(r"(\d+)$")


class _Featurizer:
    """The sentence vector of one of Rasa's CountVectorsFeaturizers, computed as Rasa does (its token
    processing, then its scikit-learn vectorizer's analyzer and vocabulary on the tokens joined by spaces)."""

    def __init__(self, component: Any):
        from rasa.shared.nlu.constants import TEXT

        self.component = component
        vectorizer = component.vectorizers[TEXT]
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary = vectorizer.vocabulary_
        self.binary = bool(vectorizer.binary)
        self.width = len(self.vocabulary)

    def counts(self, lemmas: List[str]) -> Dict[int, int]:
        from rasa.shared.nlu.constants import TEXT

        tokens = self.component._replace_with_oov_token(self.component._process_tokens(lemmas, TEXT), TEXT)
        found: Dict[int, int] = {}
        vocabulary = self.vocabulary
        for feature in self.analyze(" ".join(tokens)):
            index = vocabulary.get(feature)
            if index is not None:
                found[index] = found.get(index, 0) + 1
        if self.binary:
            found = dict.fromkeys(found, 1)
        return found


class FastPipeline:
    """Parses a batch into the dictionaries Rasa's runner returns (`Message.as_dict(only_output_properties=True)`)."""

    def __init__(self, identifier: Any, tokenizer: Any, featurizers: Sequence[Any], classifier: Any, fallback: Any,
                 selector: Optional[Any]):
        self.identifier, self.tokenizer, self.classifier = identifier, tokenizer, classifier
        self.fallback, self.selector = fallback, selector
        self.featurizers = [_Featurizer(component) for component in featurizers]
        self.offsets = np.cumsum([0] + [f.width for f in self.featurizers])[:-1].tolist()
        self.width = sum(f.width for f in self.featurizers)

    @classmethod
    def from_runner(cls, runner: Any) -> Optional["FastPipeline"]:
        """The components of a loaded Rasa predict graph, if it is the pipeline this module knows; else None."""
        from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
        from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer

        from nlu.components.answer_selector import AnswerSelector
        from nlu.components.intent_classifier import LogisticRegressionIntentClassifier
        from nlu.components.language_identifier import LanguageIdentifier
        from nlu.components.tokenizer import FoldingTokenizer

        nodes = getattr(runner, "_instantiated_nodes", None)
        if not isinstance(nodes, dict):
            return None
        found: Dict[type, list] = {}
        known = (LanguageIdentifier, FoldingTokenizer, CountVectorsFeaturizer, LogisticRegressionIntentClassifier,
                 FallbackClassifier, AnswerSelector)
        for name, node in nodes.items():
            component = getattr(node, "_component", None)
            if not name.startswith("run_"):
                continue  # Rasa's own providers and message converters
            kind = next((k for k in known if type(component) is k), None)
            if kind is None and not name.startswith("run_RegexMessageHandler"):
                return None  # a component this module does not know
            if kind is not None:
                index = _NODE_INDEX.search(name)
                found.setdefault(kind, []).append((int(index.group(1)) if index else 0, component))
        counts = {kind: len(found.get(kind, ())) for kind in known}
        if any(counts[k] != 1 for k in known if k is not CountVectorsFeaturizer) or counts[CountVectorsFeaturizer] < 1:
            return None
        featurizers = [component for _, component in sorted(found[CountVectorsFeaturizer], key=lambda item: item[0])]
        if any(not getattr(f, "vectorizers", None) or f.vectorizers.get("text") is None for f in featurizers):
            return None
        one = {kind: found[kind][0][1] for kind in known if kind is not CountVectorsFeaturizer}
        selector = one[AnswerSelector] if one[AnswerSelector].model is not None else None
        return cls(one[LanguageIdentifier], one[FoldingTokenizer], featurizers, one[LogisticRegressionIntentClassifier],
                   one[FallbackClassifier], selector)

    def features(self, messages: List[Any]) -> csr_matrix:
        """One row per tokenised message: the featurizers' sentence vectors side by side, in pipeline order."""
        from rasa.nlu.constants import TOKENS_NAMES
        from rasa.shared.nlu.constants import TEXT

        indices: List[int] = []
        data: List[float] = []
        indptr = [0]
        for message in messages:
            lemmas = [token.lemma for token in message.get(TOKENS_NAMES[TEXT]) or ()]
            for featurizer, offset in zip(self.featurizers, self.offsets):
                counts = featurizer.counts(lemmas)
                for index in sorted(counts):
                    indices.append(offset + index)
                    data.append(float(counts[index]))
            indptr.append(len(indices))
        return csr_matrix((np.array(data, dtype=np.float64), np.array(indices, dtype=np.int32),
                           np.array(indptr, dtype=np.int32)), shape=(len(messages), self.width))

    def parse(self, texts: Sequence[str]) -> List[Dict[str, Any]]:
        from rasa.shared.nlu.constants import TEXT
        from rasa.shared.nlu.training_data.message import Message

        messages = [Message(data={TEXT: text}) for text in texts]
        self.identifier.process(messages)
        self.tokenizer.process(messages)
        X = self.features(messages)
        self.classifier.process_features(X, messages)
        self.fallback.process(messages)
        if self.selector is not None:
            self.selector.process_features(X, messages)
        return [message.as_dict(only_output_properties=True) for message in messages]
