"""Chooses the specific answer (`ask_residence/family-reunification`) with a logistic regression on the same
sparse n-gram features as the intent classifier.

Trained on the retrieval-intent examples of the NLU data (`- intent: ask_residence/family-reunification`).
Its output has the shape of Rasa's ResponseSelector (`response_selector.default.ranking`, each with an
`intent_response_key` and a `confidence`), so `nlu.parser` reads either the same way and the two can be
compared on the same data (README, "Answers").
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import vstack
from sklearn.linear_model import LogisticRegression

from nlu.components.linear import fast_coefficients, fit_compact

logger = logging.getLogger(__name__)
RESPONSE_SELECTOR = "response_selector"  # Rasa's output key, read by nlu.parser
MODEL_FILE = "answer-selector.skops"


def _features(messages: List[Message]):
    """One row of sentence-level sparse features per message (those of the featurizers before this one)."""
    return vstack([message.get_sparse_features(TEXT)[1].features for message in messages]).tocsr()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class AnswerSelector(GraphComponent):
    """A logistic regression over every answer label; the parser keeps the answers of the message's intent."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"C": 5.0, "max_iter": 500, "random_state": 42, "class_weight": None}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[LogisticRegression] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self.model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "AnswerSelector":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)]
        labels = sorted({m.get(INTENT_RESPONSE_KEY) for m in examples})
        if len(labels) < 2:
            logger.warning("fewer than two answer labels in the NLU data: no answer selector trained")
            return self._resource
        self.model = LogisticRegression(
            C=float(self.config["C"]), max_iter=int(self.config["max_iter"]),
            random_state=self.config["random_state"], class_weight=self.config["class_weight"],
        )
        fit_compact(self.model, _features(examples), [m.get(INTENT_RESPONSE_KEY) for m in examples])
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self.model, model_dir / MODEL_FILE)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None or not messages:
            return messages
        return self.process_features(_features(messages), messages)

    def process_features(self, X: Any, messages: List[Message]) -> List[Message]:
        """`process` on the rows of X already built (see LogisticRegressionIntentClassifier.process_features)."""
        if self.model is None or not messages:
            return messages
        probabilities = self.model.predict_proba(X)
        classes = list(self.model.classes_)
        for row, message in enumerate(messages):
            order = np.argsort(-probabilities[row])
            ranking = [{"intent_response_key": classes[i], "confidence": float(probabilities[row][i])} for i in order]
            message.set(RESPONSE_SELECTOR, {"default": {"response": dict(ranking[0]), "ranking": ranking}},
                        add_to_output=True)
        return messages

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "AnswerSelector":
        import skops.io as sio

        model = None
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / MODEL_FILE
                if path.exists():
                    model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
                    fast_coefficients(model)
        except ValueError:
            logger.warning("no trained answer selector in the model: answers are not chosen")
        return cls(config, model_storage, resource, model)
