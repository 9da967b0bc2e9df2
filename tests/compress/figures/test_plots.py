"""The elbow plot's ticks and labels, and that both figures render."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from compress.figures.plots import elbow_plot, k_ticks, tick_format


def test_every_k_labelled_when_few():
    assert k_ticks([1, 2, 3, 5, 10, 15, 20]) == [1, 2, 3, 5, 10, 15, 20]
    assert k_ticks(range(1, 17)) == list(range(1, 17))


@pytest.mark.parametrize("ks", [range(1, 21), range(1, 101), range(3, 257, 3),
                                [1, 2, 3, *range(10, 300, 7)]])
def test_many_k_keep_both_ends_and_round_steps(ks):
    ticks = k_ticks(ks)
    assert ticks[0] == min(ks) and ticks[-1] == max(ks)
    assert len(ticks) <= 16 and set(ticks) <= set(ks)
    assert ticks == sorted(set(ticks))
    inner = np.diff(ticks[1:-1])
    assert len(set(inner)) <= 1  # evenly spaced between the ends


@pytest.mark.parametrize("ticks", [[0.0, 0.002, 0.004, 0.006], [0, 0.5, 1.0, 1.5],
                                   [0, 50_000, 100_000, 150_000], [10, 12.5, 15]])
def test_tick_labels_stay_distinct(ticks):
    fmt = tick_format(ticks)
    labels = [fmt.format(x=t) for t in ticks]
    assert len(set(labels)) == len(labels), labels
    assert all(float(label.replace(",", "")) == pytest.approx(t)
               for label, t in zip(labels, ticks, strict=True))


def test_elbow_plot_renders_with_lossless_and_off_range_choice():
    ks = list(range(1, 9))
    psnrs = [20.0 + k for k in ks[:-1]] + [math.inf]
    png = elbow_plot(ks, [0.013 / k for k in ks], psnrs, [100 * k for k in ks],
                     knee=3, chosen=40, min_psnr=30.0, input_bytes=500,
                     title="tiny.png (8 colours)")
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and im.size[0] > 500 and im.size[1] > 500
        assert len(im.convert("RGB").getcolors(1 << 16)) > 20  # drawn, not blank


def test_elbow_legend_names_every_curve_outside_the_axes():
    from compress.figures.plots import elbow_figure

    ks = list(range(1, 21))
    fig = elbow_figure(ks, [1.0 / k for k in ks], [10.0 + k for k in ks],
                       [1000 * k for k in ks], knee=3, title="t",
                       input_bytes=15_000, delta_e=[10.0 / k for k in ks],
                       min_psnr=25.0, chosen=15)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = {}
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        # Above its panel: no label hides a point or a line.
        assert legend.get_window_extent(renderer).y0 >= ax.get_window_extent(
            renderer).y1 - 1
        texts.update({t.get_text(): t for t in legend.get_texts()})
    for label in ("inertia", "mean CIEDE2000 (right)", "knee (Kneedle): k = 3",
                  "PSNR (dB, left)", "PNG size (kB, right)", "input file (15 kB)",
                  "--min-psnr 25 dB", "--min-psnr choice: k = 15"):
        assert label in texts, sorted(texts)
        assert texts[label].get_fontsize() >= 8
    assert 3 in fig.axes[0].get_xticks()
