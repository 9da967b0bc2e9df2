"""Exactness of the speed-ups: the histogram reduction and the Hamerly bounds.

* Weighted k-means on the distinct colours (weights = pixel counts) is the same
  problem as k-means on all pixels: same labels per pixel, same centres up to
  rounding, same iterations.
* ``algorithm="hamerly"`` returns bitwise what ``algorithm="lloyd"`` returns.
"""

import numpy as np
import pytest
from sklearn.datasets import load_sample_image, make_blobs

from compress.quantization.histogram import color_histogram
from kmeans_core import kmeans, kmeans_plusplus


@pytest.fixture(scope="module")
def china_pixels():
    img = load_sample_image("china.jpg")[::4, ::4]  # (107, 160, 3), keeps it quick
    return img.reshape(-1, 3)


@pytest.mark.parametrize("k", [2, 5, 16, 64])
def test_histogram_fit_equals_pixel_fit(china_pixels, k):
    X = china_pixels / 255.0
    colors, counts, inverse = color_histogram(china_pixels)
    assert colors.shape[0] < X.shape[0]  # the reduction is real
    init, _ = kmeans_plusplus(X, k, random_state=k)
    full = kmeans(X, k, init=init, algorithm="lloyd")
    hist = kmeans(colors / 255.0, k, sample_weight=counts, init=init, algorithm="lloyd")
    np.testing.assert_array_equal(hist.labels[inverse], full.labels)
    np.testing.assert_allclose(hist.centers, full.centers, rtol=1e-12, atol=1e-12)
    assert hist.n_iter == full.n_iter
    assert hist.inertia == pytest.approx(full.inertia, rel=1e-10)


@pytest.mark.parametrize("k", [5, 64])
def test_uint8_pixel_fit_equals_uint8_histogram_fit(china_pixels, k):
    """uint8 data read in place: all pixels with unit weights (compress's route
    for images of mostly distinct colours) and the weighted histogram of the
    same uint8 colours are the same problem."""
    colors, counts, inverse = color_histogram(china_pixels)
    init, _ = kmeans_plusplus(colors, k, sample_weight=counts, random_state=1)
    hist = kmeans(colors, k, sample_weight=counts, init=init, algorithm="auto")
    pix = kmeans(china_pixels, k, init=init, algorithm="auto")
    np.testing.assert_array_equal(hist.labels[inverse], pix.labels)
    np.testing.assert_allclose(pix.centers, hist.centers, rtol=1e-12, atol=1e-9)
    assert hist.n_iter == pix.n_iter
    assert pix.inertia == pytest.approx(hist.inertia, rel=1e-10)


def _assert_bitwise_same(a, b):
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.centers.tobytes() == b.centers.tobytes()
    assert a.inertia == b.inertia
    assert a.n_iter == b.n_iter


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [2, 7, 32, 256])
def test_hamerly_equals_lloyd_on_image(china_pixels, k, dtype):
    colors, counts, _ = color_histogram(china_pixels)
    X = (colors / 255.0).astype(dtype)
    init, _ = kmeans_plusplus(X, k, sample_weight=counts, random_state=0)
    lloyd = kmeans(X, k, sample_weight=counts, init=init, algorithm="lloyd")
    hamerly = kmeans(X, k, sample_weight=counts, init=init, algorithm="hamerly")
    _assert_bitwise_same(lloyd, hamerly)


@pytest.mark.parametrize("n_features", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("k", [2, 16, 128])
def test_hamerly_equals_lloyd_on_blobs(n_features, k):
    X, _ = make_blobs(3000, n_features=n_features, centers=10, random_state=k)
    init = X[np.random.default_rng(0).choice(len(X), k, replace=False)]
    _assert_bitwise_same(
        kmeans(X, k, init=init, algorithm="lloyd"),
        kmeans(X, k, init=init, algorithm="hamerly"),
    )


def test_hamerly_equals_lloyd_with_ties_and_duplicates():
    # Integer grid data: many exact ties between centres, broken to the lowest index.
    rng = np.random.default_rng(3)
    X = rng.integers(0, 4, size=(2000, 3)).astype(np.float64)
    init = X[rng.choice(len(X), 12, replace=False)] + 0.5
    _assert_bitwise_same(
        kmeans(X, 12, init=init, algorithm="lloyd"),
        kmeans(X, 12, init=init, algorithm="hamerly"),
    )


def test_blas_matches_lloyd_on_many_features():
    X, _ = make_blobs(4000, n_features=32, centers=8, random_state=0)
    X = X.astype(np.float32)
    init = X[:8].copy()
    a = kmeans(X, 8, init=init, algorithm="lloyd")
    b = kmeans(X, 8, init=init, algorithm="blas")
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_allclose(a.centers, b.centers, rtol=1e-4, atol=1e-4)
    assert a.n_iter == b.n_iter
    assert b.inertia == pytest.approx(a.inertia, rel=1e-5)
