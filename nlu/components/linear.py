"""Helpers for the scikit-learn linear models of the custom components: fast to train, fast to predict.

Neither changes what a model predicts (tests/nlu/test_linear.py compares them with plain scikit-learn).
"""

from __future__ import annotations

from typing import Any, Sequence, Tuple

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix, diags


def fast_coefficients(model: Any) -> None:
    """Store a fitted linear model's weights column-major, in place; predictions are unchanged.

    scikit-learn predicts with `X @ coef_.T`. With X sparse, SciPy needs `coef_.T` contiguous and otherwise
    copies the whole weight matrix (classes × n-gram vocabulary, tens of MB) for every message: that copy
    was more than half of the parse time of the twelve-language model.
    """
    if getattr(model, "coef_", None) is not None:
        model.coef_ = np.asfortranarray(model.coef_)


def column_positions(columns: np.ndarray, width: int) -> np.ndarray:
    """For each of `width` columns, its position among the sorted `columns`, or -1."""
    positions = np.full(width, -1, dtype=np.int64)
    positions[columns] = np.arange(len(columns))
    return positions


def select_columns(X: Any, positions: np.ndarray, width: int) -> csr_matrix:
    """`X[:, columns]` for a few rows, by mapping their non-zeros (SciPy's column indexing walks every column)."""
    X = csr_matrix(X)
    mapped = positions[X.indices]
    keep = mapped >= 0
    indptr = np.concatenate(([0], np.cumsum(keep)))[X.indptr]
    return csr_matrix((X.data[keep], mapped[keep], indptr), shape=(X.shape[0], width))


def column_groups(X: Any) -> Tuple[np.ndarray, np.ndarray]:
    """For each column of X, the number of its group of identical columns (-1 for a column of zeros), and
    one column of each group."""
    columns = csc_matrix(X, copy=True)
    columns.sum_duplicates()
    columns.sort_indices()
    groups = np.full(columns.shape[1], -1, dtype=np.int64)
    first_of: dict = {}
    pointers, indices, data = columns.indptr, columns.indices, columns.data
    for j in range(columns.shape[1]):
        start, end = pointers[j], pointers[j + 1]
        if start == end:
            continue
        groups[j] = first_of.setdefault((indices[start:end].tobytes(), data[start:end].tobytes()), len(first_of))
    used = np.flatnonzero(groups >= 0)
    _, first = np.unique(groups[used], return_index=True)
    return groups, used[first]


def fit_compact(model: Any, X: Any, y: Sequence[Any]) -> Any:
    """Fit an L2-regularised linear model (LogisticRegression) on X with identical columns merged; return it
    with one weight per column of X, as if fitted on X itself.

    Character n-grams of a word seen once are the same column of the training matrix (same rows, same
    counts), and most of the vocabulary is such columns. For k identical columns, the L2 optimum gives each
    the same weight w; one column scaled by √k with weight w·√k has the same outputs and the same penalty. So
    the optimum on the merged matrix, spread back, is the optimum on X: what changes is the time, since
    L-BFGS's cost grows with the number of weights (the answer selector: 128,540 used columns, 39,200
    distinct; 292 s → 60 s on 2 cores). Columns never used in training get weight 0, as at the optimum.
    """
    X = csr_matrix(X)
    groups, representatives = column_groups(X)
    used = groups >= 0
    scale = np.sqrt(np.bincount(groups[used], minlength=len(representatives)))
    model.fit(X[:, representatives] @ diags(scale), y)
    coef = np.zeros((model.coef_.shape[0], X.shape[1]))
    coef[:, used] = model.coef_[:, groups[used]] / scale[groups[used]]
    model.coef_ = coef
    model.n_features_in_ = X.shape[1]
    return model
