"""The :class:`KMeans` estimator: scikit-learn conventions without scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np

from . import _kernels as K
from . import _validation as V
from ._api import kmeans
from ._config import N_BLOCKS
from ._params import is_dask_array


class KMeans:
    """Exact k-means clustering: Lloyd's algorithm with greedy k-means++ seeding.

    Follows scikit-learn's estimator conventions (``fit``/``predict``/
    ``transform``, ``get_params``/``set_params``, fitted attributes ending in
    ``_``), so it drops into pipelines and ``clone``; it does not depend on
    scikit-learn.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means++", "random"}, ndarray or callable, default="k-means++"
        ``"k-means++"``: greedy k-means++ with ``2 + int(ln k)`` local trials.
        ``"random"``: ``n_clusters`` distinct samples drawn with probability
        proportional to their weight.  An array of shape
        ``(n_clusters, n_features)``: the initial centres.  A callable
        ``init(X, n_clusters, rng)`` returning such an array, where ``rng`` is
        a ``numpy.random.Generator`` and ``X`` the validated data (uint8 and
        uint16 data arrive as they are: convert before subtracting).
    n_init : int or "auto", default="auto"
        Runs from different seeds; the one of lowest inertia is kept.
        ``"auto"``: 1 for k-means++ and explicit centres, 10 for ``"random"``
        and callables.
    max_iter : int, default=300
        Maximum Lloyd iterations per run.
    tol : float, default=1e-4
        Relative tolerance: a run stops when ``sum_j ||c_j^new - c_j^old||^2``
        is at most ``tol`` times the mean over features of the weighted
        variance of ``X``.  It also stops when no label changes.
    verbose : int, default=0
        Print one line per iteration when positive.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the one ``numpy.random.Generator`` that all randomness comes from.
    algorithm : {"auto", "lloyd", "hamerly", "blas"}, default="auto"
        How the assignment step is computed.  ``"lloyd"`` computes every
        distance (the textbook); ``"hamerly"`` skips samples whose bounds
        prove their label cannot change (bitwise the same result as lloyd,
        2x faster per iteration on RGB pixels); ``"blas"`` uses matrix
        products (same clustering up to rounding, faster with many features);
        ``"auto"`` picks hamerly below 16 features and blas from 16.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centres, float32 for float32 input and float64 otherwise.
    labels_ : ndarray of shape (n_samples,), int32
        Label of every training sample.
    inertia_ : float
        Weighted sum of squared distances of samples to their centre.
    n_iter_ : int
        Iterations of the best run.
    n_features_in_ : int
        Number of features seen in ``fit``.
    history_ : list of IterationRecord
        Inertia, centre shift and seconds of every iteration of the best run.
    feature_names_in_ : ndarray of shape (n_features_in_,), dtype=object
        Column names of ``X`` in ``fit``, when ``X`` was a DataFrame whose
        column names are all strings.  ``predict``, ``transform`` and
        ``score`` then refuse data whose columns are named in another order.

    Notes
    -----
    Input dtypes: float32 stays float32 inside the loop (sums and inertia are
    still accumulated in float64); float16 becomes float32; uint8 and uint16
    (pixels) are read as they are and computed in float64 (bitwise the result
    of converting them, without the copy); other integer, boolean and numeric
    object input become float64.  Inputs are never modified.
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        algorithm="auto",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.algorithm = algorithm

    # -- scikit-learn conventions ------------------------------------------
    _PARAMS = (
        "n_clusters", "init", "n_init", "max_iter", "tol", "verbose",
        "random_state", "algorithm",
    )

    def get_params(self, deep=True):
        """Return the constructor parameters as a dict."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params):
        """Set constructor parameters; unknown names raise ``ValueError``."""
        for name, value in params.items():
            if name not in self._PARAMS:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}; valid "
                    f"parameters are {list(self._PARAMS)}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = type(self)().get_params()
        changed = []
        for k, v in self.get_params().items():
            d = defaults[k]
            same = v is d or (type(v) is type(d) and not isinstance(v, np.ndarray)
                              and v == d)
            if not same:
                changed.append(f"{k}={v!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        """Tags for scikit-learn's checks (imported lazily: sklearn is optional)."""
        from sklearn.utils import Tags, TargetTags, TransformerTags

        # scikit-learn has no ClustererTags: a clusterer is just its estimator_type.
        return Tags(
            estimator_type="clusterer",
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags(preserves_dtype=["float64", "float32"]),
        )

    # -- fitting -----------------------------------------------------------
    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` weighs every sample 1.

        Returns
        -------
        self : KMeans
            The fitted estimator.
        """
        names = _feature_names(X)
        result = kmeans(
            X,
            self.n_clusters,
            sample_weight=sample_weight,
            init=self.init,
            n_init=self.n_init,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            random_state=self.random_state,
            algorithm=self.algorithm,
        )
        self.cluster_centers_ = result.centers
        self.labels_ = result.labels
        self.inertia_ = result.inertia
        self.n_iter_ = result.n_iter
        self.n_features_in_ = result.centers.shape[1]
        self.history_ = result.history
        if names is None:
            self.__dict__.pop("feature_names_in_", None)
        else:
            self.feature_names_in_ = names
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return the label of every sample."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit and return the distance of every sample to every centre."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    # -- names and output containers (scikit-learn's set_output API) --------
    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns: ``kmeans0``, ``kmeans1``, ...

        Parameters
        ----------
        input_features : ignored
            Present for API consistency.

        Returns
        -------
        names : ndarray of shape (n_clusters,), dtype=object
        """
        self._check_is_fitted()
        prefix = type(self).__name__.lower()
        return np.array([f"{prefix}{j}" for j in range(len(self.cluster_centers_))],
                        dtype=object)

    def set_output(self, *, transform=None):
        """Choose the container ``transform`` and ``fit_transform`` return.

        Parameters
        ----------
        transform : {"default", "pandas"} or None, default=None
            ``"pandas"``: a DataFrame with columns :meth:`get_feature_names_out`
            and the index of the input DataFrame; ``"default"``: an ndarray;
            ``None``: leave the choice unchanged.

        Returns
        -------
        self : KMeans
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas"):
            raise ValueError(
                f"set_output(transform={transform!r}): choose 'default' or 'pandas'."
            )
        self._sklearn_output_config = {"transform": transform}
        return self

    def _wrap_output(self, out: np.ndarray, X_in):
        config = getattr(self, "_sklearn_output_config", {})
        if config.get("transform", "default") != "pandas":
            return out
        import pandas as pd

        index = X_in.index if isinstance(X_in, pd.DataFrame) else None
        return pd.DataFrame(out, index=index, columns=self.get_feature_names_out())

    # -- using a fitted model -----------------------------------------------
    def _check_is_fitted(self) -> None:
        if not hasattr(self, "cluster_centers_"):
            raise V.NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call "
                "'fit' before using it."
            )

    def _fitted_centers(self) -> np.ndarray:
        """Return the centres, for Dask input (checked lazily against them)."""
        self._check_is_fitted()
        return self.cluster_centers_

    def _check_fitted_X(self, X) -> np.ndarray:
        self._check_is_fitted()
        _check_feature_names(getattr(self, "feature_names_in_", None),
                             _feature_names(X), type(self).__name__)
        X = V.check_array(X, dtype=self.cluster_centers_.dtype.type)
        V.check_n_features(X, self.n_features_in_, type(self).__name__)
        return X

    def _assign(self, X, sample_weight):
        """Run the E-step against the fitted centres: labels and weighted inertia."""
        labels = np.full(X.shape[0], -1, dtype=np.int32)
        inertia = np.empty(N_BLOCKS)
        changed = np.empty(N_BLOCKS, dtype=np.int64)
        K.assign_labels(X, sample_weight, self.cluster_centers_, labels, inertia,
                        changed)
        return labels, float(inertia.sum())

    def predict(self, X):
        """Label of the nearest centre of every sample of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data.

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32
            A lazy Dask array when ``X`` is one.
        """
        if is_dask_array(X):
            from ._dask import predict_dask

            return predict_dask(X, self._fitted_centers())
        X = self._check_fitted_X(X)
        return self._assign(X, V.check_sample_weight(None, X.shape[0]))[0]

    def transform(self, X):
        """Euclidean distance of every sample to every centre.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data.

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
            A lazy Dask array when ``X`` is one.
        """
        if is_dask_array(X):
            from ._dask import transform_dask

            return transform_dask(X, self._fitted_centers())
        X_in, X = X, self._check_fitted_X(X)
        out = np.empty((X.shape[0], self.cluster_centers_.shape[0]), dtype=X.dtype)
        K.all_distances(X, self.cluster_centers_, out)
        return self._wrap_output(out, X_in)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the weighted inertia of ``X`` against the fitted centres.

        Returns
        -------
        score : float
            ``-sum_i w_i min_j ||x_i - c_j||^2`` (larger is better).
        """
        if is_dask_array(X):
            from ._dask import score_dask

            return score_dask(X, self._fitted_centers(), sample_weight)
        X = self._check_fitted_X(X)
        w = V.check_sample_weight(sample_weight, X.shape[0])
        return -self._assign(X, w)[1]


def _feature_names(X) -> np.ndarray | None:
    """Column names of a DataFrame-like ``X`` if all are strings, else None."""
    columns = getattr(X, "columns", None)
    if columns is None or isinstance(X, np.ndarray):
        return None
    names = np.asarray(list(columns), dtype=object)
    if len(names) == 0 or not all(isinstance(n, str) for n in names):
        return None
    return names


def _check_feature_names(fitted, given, owner: str) -> None:
    """Refuse columns in another order or with other names (as scikit-learn)."""
    if fitted is None and given is None:
        return
    if fitted is None:
        warnings.warn(f"X has feature names, but {owner} was fitted without "
                      "feature names", UserWarning, stacklevel=4)
        return
    if given is None:
        warnings.warn(f"X does not have valid feature names, but {owner} was "
                      "fitted with feature names", UserWarning, stacklevel=4)
        return
    if len(fitted) != len(given) or not (fitted == given).all():
        raise ValueError(
            "The feature names should match those that were passed during fit: "
            f"fitted with {list(fitted)}, got {list(given)}. Select the columns "
            "in the same order (X[model.feature_names_in_])."
        )
