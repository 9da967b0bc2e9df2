"""compress.elbow: the --elbow plot and its numbers in a notebook."""

from __future__ import annotations

from helpers import blobs_image, save

import compress


def test_elbow_returns_figure_and_numbers(tmp_path):
    path = save(tmp_path / "blobs.png", blobs_image())
    curve = compress.elbow(path, [1, 2, 3, 4, 5, 6])
    assert curve.ks == [1, 2, 3, 4, 5, 6]
    assert curve.knee == 4 and type(curve.knee) is int
    assert curve.inertia == sorted(curve.inertia, reverse=True)
    assert len(curve.png_bytes) == len(curve.psnr) == len(curve.delta_e) == 6
    assert curve.png_bytes[3] == len(compress.quantize(path, 4).to_png())
    legend = [t.get_text() for ax in curve.figure.axes if ax.get_legend()
              for t in ax.get_legend().get_texts()]
    assert "knee (Kneedle): k = 4" in legend
    assert any(text.startswith("input file (") for text in legend)
    assert curve._repr_png_().startswith(b"\x89PNG")
    assert len(repr(curve)) < 200
