"""Rasa's LogisticRegressionClassifier with its weights laid out for fast prediction, and optional per-language
experts for languages that share a script and words (Arabic, Dari, Pashto)."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.base import clone

from nlu.components.linear import column_positions, fast_coefficients, fit_compact, select_columns

logger = logging.getLogger(__name__)
LANGUAGE = "language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LogisticRegressionIntentClassifier(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier with a configurable regularisation `C`, a faster `process`, and
    per-language experts.

    Rasa fixes C at scikit-learn's default 1.0; with twelve languages that spreads the probability over
    intents so thinly that many real questions fall under the fallback threshold.

    `experts: [ar, fa, ps]` also trains, for each listed language, a second model on that language's examples
    only (restricted to the n-grams they use). A message identified as one of those languages gets the
    average of both models, weighted by `expert_weight`: Pashto examples then stop pulling Dari and Arabic
    messages towards their intents, which one shared linear model cannot avoid.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0, "experts": [], "expert_weight": 0.5}

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))
        # language -> (position of each n-gram column among those the expert uses, or -1; fitted model)
        self.experts: Dict[str, tuple] = {}

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get("text")]
        if not examples:
            return super().train(training_data)
        X = self._create_X(examples).tocsr()
        y = np.array([e.get(INTENT) for e in examples])
        fit_compact(self.clf, X, y)  # Rasa's own train() fits self.clf on X: the same model, slower
        self.persist()
        if not self.config["experts"]:
            return self._resource
        languages = np.array([e.get(LANGUAGE) or "" for e in examples])
        for language in self.config["experts"]:
            rows = np.flatnonzero(languages == language)
            if len(set(y[rows])) < 2:
                logger.warning("no expert for %s: too few examples", language)
                continue
            columns = np.unique(X[rows].indices)
            model = fit_compact(clone(self.clf), X[rows][:, columns], y[rows])
            self.experts[language] = (column_positions(columns, X.shape[1]), model)
        self._persist_experts()
        return self._resource

    def _persist_experts(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            for language, (positions, model) in self.experts.items():
                np.save(model_dir / f"expert-{language}.columns.npy", np.flatnonzero(positions >= 0))
                sio.dump(model, model_dir / f"expert-{language}.skops")

    def process(self, messages: List[Message]) -> List[Message]:
        return self.process_features(self._create_X(messages).tocsr(), messages)

    def process_features(self, X: Any, messages: List[Message]) -> List[Message]:
        """`process` on the rows of X already built (one per message: the sentence features of the featurizers,
        in pipeline order); nlu.fast builds them without Rasa's per-token features."""
        probabilities = self.clf.predict_proba(X)
        classes = list(self.clf.classes_)
        weight = float(self.config["expert_weight"])
        for row, message in enumerate(messages):
            expert = self.experts.get(message.get(LANGUAGE))
            if expert is None:
                continue
            positions, model = expert
            mixed = probabilities[row] * (1 - weight)
            local = model.predict_proba(select_columns(X[row], positions, model.n_features_in_))[0]
            for name, p in zip(model.classes_, local):
                mixed[classes.index(name)] += weight * p
            probabilities[row] = mixed
        for row, message in enumerate(messages):
            ranking = sorted(({"name": name, "confidence": float(p)} for name, p in zip(classes, probabilities[row])),
                             key=lambda item: -item["confidence"])
            message.set("intent", ranking[0], add_to_output=True)
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LogisticRegressionIntentClassifier":
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        fast_coefficients(getattr(component, "clf", None))
        if not getattr(component, "experts", None):
            component.experts = {}
        if component.config.get("experts"):
            import skops.io as sio

            try:
                with model_storage.read_from(resource) as model_dir:
                    for language in component.config["experts"]:
                        path = model_dir / f"expert-{language}.skops"
                        if path.exists():
                            model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
                            fast_coefficients(model)
                            columns = np.load(model_dir / f"expert-{language}.columns.npy")
                            component.experts[language] = (column_positions(columns, component.clf.n_features_in_), model)
            except ValueError:
                logger.warning("the per-language experts could not be loaded; using the shared model only")
        return component
