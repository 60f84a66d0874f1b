"""The training shortcut of the custom components fits the same model as plain scikit-learn."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix, hstack, random as sparse_random
from sklearn.linear_model import LogisticRegression

from nlu.components.linear import column_groups, column_positions, fit_compact, select_columns


def _problem(seed: int = 3):
    """Sparse counts like character n-grams: many columns repeated (a word's n-grams), some never used."""
    rng = np.random.default_rng(seed)
    base = sparse_random(300, 40, density=0.08, random_state=seed, data_rvs=lambda n: rng.integers(1, 4, n)).tocsr()
    repeated = [base[:, [j]] for j in rng.integers(0, 40, 60)]  # 60 copies of existing columns
    X = hstack([base, *repeated, csr_matrix((300, 5))]).tocsr()  # and 5 columns of zeros
    labels = (np.asarray(base[:, :3].sum(axis=1)).ravel().astype(int) + rng.integers(0, 2, 300)) % 3
    y = np.array(["a", "b", "c"])[labels]
    return X, y


def test_identical_columns_share_a_group_and_zero_columns_have_none():
    X = csr_matrix(np.array([[1, 0, 1, 2, 0], [0, 0, 0, 1, 3], [2, 0, 2, 0, 0]]))
    groups, representatives = column_groups(X)
    assert groups.tolist() == [0, -1, 0, 1, 2]
    assert representatives.tolist() == [0, 3, 4]


def test_columns_differ_by_their_rows_or_their_counts():
    X = csr_matrix(np.array([[1, 1, 2], [1, 0, 1]]))
    assert column_groups(X)[0].tolist() == [0, 1, 2]


def test_compact_fit_predicts_like_the_plain_fit():
    X, y = _problem()
    plain = LogisticRegression(C=5.0, max_iter=2000, tol=1e-10).fit(X, y)
    compact = fit_compact(LogisticRegression(C=5.0, max_iter=2000, tol=1e-10), X, y)
    assert compact.coef_.shape == plain.coef_.shape
    np.testing.assert_allclose(compact.coef_, plain.coef_, atol=1e-4)
    np.testing.assert_allclose(compact.predict_proba(X), plain.predict_proba(X), atol=1e-5)
    assert np.all(compact.coef_[:, -5:] == 0)


def test_selected_columns_are_those_of_scipy_column_indexing():
    X, _ = _problem()
    columns = np.array([0, 3, 7, 41, 99, 104])
    selected = select_columns(X[10:20], column_positions(columns, X.shape[1]), len(columns))
    assert selected.shape == (10, 6)
    np.testing.assert_array_equal(selected.toarray(), X[10:20][:, columns].toarray())
    assert selected.nnz > 0
