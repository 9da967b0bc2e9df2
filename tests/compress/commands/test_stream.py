"""Images larger than memory: streamed PNG writer and band-by-band quantization.

Small images with a small threshold (``--stream-above``) and small bands
stand in for huge ones: the streamed output must be byte-identical to the
in-memory output of the same image.
"""

from __future__ import annotations

import io
import json
import zlib

import numpy as np
import pytest
from helpers import blobs_image, china_path, decode, run_cli, run_in_process, run_json

from compress import encode_palette_png, load_image, mse, quantize
from compress.commands.request import Request
from compress.io.png_stream import PalettePNGStream, pack_rows
from compress.quantization.fit_input import prepare

tifffile = pytest.importorskip("tifffile")
zarr = pytest.importorskip("zarr")


def _pillow_uses_pythons_zlib() -> bool:
    """Byte-identity with Pillow needs the same deflate as Python's zlib module."""
    img = load_image(china_path()).pixels[::8, ::8]
    q = quantize(img, 64)  # 8-bit palette: unfiltered rows, default strategy
    png = encode_palette_png(q.index_map, q.palette)
    raw = np.zeros((q.index_map.shape[0], q.index_map.shape[1] + 1), np.uint8)
    raw[:, 1:] = q.index_map
    c = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY)
    return (c.compress(raw.tobytes()) + c.flush()) in png


pytestmark = pytest.mark.skipif(
    not _pillow_uses_pythons_zlib(),
    reason="Pillow bundles a zlib whose output differs from Python's zlib module",
)


def _stream(path, index_map, palette, band):
    height, width = index_map.shape
    with PalettePNGStream(path, width, height, palette) as png:
        for y in range(0, height, band):
            png.write(index_map[y:y + band])
    return path.read_bytes()


@pytest.mark.parametrize("k", [2, 3, 16, 64, 256])
def test_png_stream_equals_pillow(tmp_path, china, k):
    img = china if k == 64 else china[::2, ::2]  # k = 64: two IDAT chunks
    q = quantize(img, k)
    expected = encode_palette_png(q.index_map, q.palette)
    for band in (1, 37, img.shape[0]):
        assert _stream(tmp_path / f"b{band}.png", q.index_map, q.palette,
                       band) == expected, band
    assert [p.name for p in tmp_path.iterdir()] != []  # no temporaries left:
    assert all(not p.name.startswith(".") for p in tmp_path.iterdir())


@pytest.mark.parametrize("channels", [1, 2, 4])
def test_png_stream_grey_and_alpha(tmp_path, channels):
    rng = np.random.default_rng(channels)
    img = rng.integers(0, 256, (45, 33, channels), dtype=np.uint8)
    img[:20, :, -1] = 255
    q = quantize(img, 5)
    assert _stream(tmp_path / "a.png", q.index_map, q.palette, 8) == \
        encode_palette_png(q.index_map, q.palette)


def test_pack_rows_against_a_loop():
    rng = np.random.default_rng(0)
    for bits in (1, 2, 4):
        rows = rng.integers(0, 1 << bits, (3, 11), dtype=np.uint8)
        packed = pack_rows(rows, bits)
        for r in range(3):
            value = "".join(format(int(v), f"0{bits}b") for v in rows[r])
            value = value.ljust(8 * packed.shape[1], "0")
            expected = [int(value[i:i + 8], 2) for i in range(0, len(value), 8)]
            assert packed[r].tolist() == expected


def test_filter_rows_against_naive():
    from naive import png_filter_row

    from compress.io.png_stream import filter_rows

    rng = np.random.default_rng(5)
    rows = rng.integers(0, 256, (40, 23), dtype=np.uint8)
    rows[5] = 0  # cost 0 unfiltered
    rows[9] = rows[8]  # Up gives 0
    rows[12] = 77  # Sub gives nearly 0
    rows[20:30] = np.minimum(rows[20:30], 3)  # small values, ties between filters
    previous = rng.integers(0, 256, 23, dtype=np.uint8)
    got = filter_rows(rows, previous)
    prev = previous
    for r in range(rows.shape[0]):
        assert got[r].tobytes() == png_filter_row(rows[r].tobytes(), prev.tobytes())
        prev = rows[r]


def test_failed_stream_leaves_nothing(tmp_path):
    target = tmp_path / "x.png"
    palette = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    with pytest.raises(RuntimeError), PalettePNGStream(target, 10, 4, palette) as png:
        png.write(np.zeros((2, 10), np.uint8))
        raise RuntimeError("interrupted")
    with pytest.raises(ValueError, match="2 rows written"):
        with PalettePNGStream(target, 10, 4, palette) as png:
            png.write(np.zeros((2, 10), np.uint8))
    assert list(tmp_path.iterdir()) == []


def _tiffs(folder, pixels):
    tiled = folder / "tiled.tif"
    tifffile.imwrite(tiled, pixels, tile=(32, 48))
    strips = folder / "strips.tif"
    tifffile.imwrite(strips, pixels, rowsperstrip=7)
    store = folder / "image.zarr"
    z = zarr.open(str(store), mode="w", shape=pixels.shape, chunks=(50, 100, 3),
                  dtype=np.uint8)
    z[:] = pixels
    return [tiled, strips, store]


def test_cli_streams_big_tiff_and_zarr_byte_identical(tmp_path, china):
    pixels = china  # 35 % distinct colours: the in-memory run fits the histogram
    assert prepare(pixels, ks=[6, 40]).inverse is not None
    mem = tmp_path / "mem"
    mem.mkdir()
    source = tmp_path / "same.png"
    from PIL import Image

    Image.fromarray(pixels).save(source)
    run_in_process(source, 6, 40, "--out-dir", mem, cwd=tmp_path, check_rc=0)
    for path in _tiffs(tmp_path, pixels):
        proc = run_in_process(path, 6, 40, "--stream-above", 1000, "--json",
                              cwd=tmp_path, check_rc=0)
        assert '"streamed": true' in proc.stdout
        stem = path.name.split(".")[0]
        for k in (6, 40):
            streamed = (tmp_path / f"{stem}-k{k}.png").read_bytes()
            assert streamed == (mem / f"same-k{k}.png").read_bytes(), (path, k)
    # Below the threshold the TIFF takes the in-memory path (no "streamed").
    proc = run_in_process(tmp_path / "tiled.tif", 6, "--force", "--json", cwd=tmp_path,
                   check_rc=0)
    assert '"streamed"' not in proc.stdout


def test_library_rgba_grey_and_small_bands(tmp_path):
    from compress.commands.stream import compress_stream

    rng = np.random.default_rng(3)
    for channels in (1, 4):
        pixels = blobs_image(60, 90, noise=2)  # few distinct colours
        if channels == 1:
            pixels = pixels[:, :, 0].copy()
        else:
            alpha = rng.choice(np.array([200, 255], np.uint8), (60, 90, 1))
            pixels = np.concatenate([pixels, alpha], axis=2)
        assert prepare(pixels, ks=[7]).inverse is not None  # histogram route
        path = tmp_path / f"c{channels}.tif"
        tifffile.imwrite(path, pixels, rowsperstrip=4)
        out = io.StringIO()
        rows = compress_stream(Request("compress", str(path), ks=[7]), band_pixels=400,
                               out=out)
        q = quantize(pixels, 7)
        assert (tmp_path / f"c{channels}-k7.png").read_bytes() == encode_palette_png(
            q.index_map, q.palette)
        assert rows[0].inertia == pytest.approx(q.inertia, rel=1e-12)
        assert rows[0].mse == mse(pixels if channels > 1 else pixels[:, :, None],
                                  q.palette[q.index_map])
        assert rows[0].n_iter == int(q.fit.n_iter)
        decoded = decode(tmp_path / f"c{channels}-k7.png",
                         "L" if channels == 1 else "RGBA")
        assert decoded.shape[:2] == (60, 90)


def test_stream_errors_are_one_line(tmp_path, china):
    path = tmp_path / "a.tif"
    tifffile.imwrite(path, china[:40, :50])
    proc = run_in_process(path, 300, "--stream-above", 10, cwd=tmp_path, check_rc=2)
    assert "k <= 256" in proc.stderr and proc.stderr.count("\n") == 1
    deep = tmp_path / "deep.tif"
    tifffile.imwrite(deep, np.zeros((40, 50, 3), np.uint16))
    proc = run_in_process(deep, 4, "--stream-above", 10, cwd=tmp_path, check_rc=1)
    assert "8-bit" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tif", "deep.tif"]


def test_stream_on_a_dask_cluster(tmp_path, china):
    distributed = pytest.importorskip("distributed")
    path = tmp_path / "c.tif"
    tifffile.imwrite(path, china, tile=(64, 64))  # the histogram route in memory
    mem = tmp_path / "mem.png"
    run_in_process(path, 9, "-o", mem, cwd=tmp_path, check_rc=0)  # small: in memory
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        proc = run_cli(path, 9, "--scheduler", cluster.scheduler_address, "--json",
                       cwd=tmp_path, check_rc=0)
        assert '"workers": 2' in proc.stdout
        assert (tmp_path / "c-k9.png").read_bytes() == mem.read_bytes()
        from compress.commands.stream import compress_stream

        out = io.StringIO()  # 7 bands of 64 rows, spread over the two workers
        req = Request("compress", str(path), ks=[9], output=tmp_path / "d.png",
                      json=True, scheduler=cluster.scheduler_address)
        compress_stream(req, band_pixels=64 * 640, out=out)
        assert json.loads(out.getvalue())["input"]["band_rows"] == 64
    assert (tmp_path / "d.png").read_bytes() == mem.read_bytes()


@pytest.mark.parametrize("options", [
    ["--space", "oklab"], ["--space", "oklab", "--dither"], ["--dither"]],
    ids=["oklab", "oklab-dither", "rgb-dither"])
def test_streamed_png_is_byte_identical_to_in_memory(tmp_path, china, monkeypatch,
                                                     options):
    """k = 16 and 64 on a photo TIFF forced to stream, in bands of 64 rows."""
    from compress.commands import stream

    monkeypatch.setattr(stream, "BAND_PIXELS", 64 * china.shape[1])  # 7 bands
    tif = tmp_path / "photo.tif"
    tifffile.imwrite(tif, china, rowsperstrip=16)
    mem = tmp_path / "mem"
    mem.mkdir()
    in_memory = run_json(tif, 16, 64, *options, "--out-dir", mem, cwd=tmp_path)
    streamed = run_json(tif, 16, 64, *options, "--stream-above", 1000, cwd=tmp_path)
    assert streamed["input"]["streamed"] is True
    assert streamed["input"]["band_rows"] == 64
    for k, mem_row, row in zip((16, 64), in_memory["results"], streamed["results"],
                               strict=True):
        assert (tmp_path / f"photo-k{k}.png").read_bytes() == (
            mem / f"photo-k{k}.png").read_bytes(), k
        for field in ("mse", "psnr_db", "delta_e_mean", "delta_e_p95", "inertia"):
            assert isinstance(row[field], float), (field, row[field])
            assert row[field] == pytest.approx(mem_row[field], rel=1e-9), field
        assert row["space"] == mem_row["space"]
        assert row["dithered"] == mem_row["dithered"] == ("--dither" in options)
