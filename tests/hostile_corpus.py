"""A corpus of hostile inputs for ``python -m compress``, generated at test time.

Nothing is downloaded and nothing large is committed: every item is made here
with NumPy, Pillow and a few hand-built PNG chunks, inside a directory the
caller gives (a pytest ``tmp_path``).  Each item is a :class:`Case` that says
what the CLI must do with it: succeed with outputs of known size, or fail with
a given exit code and a one-line message.

Running the CLI and checking the file system are in ``tests/helpers.py``.

Run as a script (``python tests/hostile_corpus.py DIR``) it writes the quick
corpus to ``DIR`` for manual inspection.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from helpers import all_colours, encode, photo_like, png_bytes
from PIL import Image

KS = (1, 2, 16, 256)  # k values every corpus item is run with
ALL_COLOURS_KS = (2, 16)  # the 16-megacolour image: the costly k are left out


def _jpeg_before_scan(data: bytes) -> bytes:
    """A JPEG cut just before its Start-Of-Scan marker: headers, no pixels."""
    return data[: data.index(b"\xff\xda")]



# -- the corpus -----------------------------------------------------------------
@dataclass
class Case:
    """One hostile input and what ``python -m compress`` must do with it.

    ``size`` is ``(width, height)`` of the outputs when the run must succeed,
    ``None`` when it must fail with ``exit_code`` and a message matching
    ``message`` (a regular expression).  ``lossless_rgba`` holds the decoded
    image when every k >= its colour count must give it back exactly.
    """

    name: str
    path: Path
    ks: tuple[int, ...] = KS
    size: tuple[int, int] | None = None
    exit_code: int = 0
    message: str = ""
    args: tuple[str, ...] = ()
    outputs: list[Path] = field(default_factory=list)
    n_colours: int | None = None
    lossless_rgba: np.ndarray | None = None
    mode: str | None = None  # expected ``mode`` in the JSON report

    @property
    def must_succeed(self) -> bool:
        """True when the CLI must exit 0."""
        return self.size is not None


def _write(directory: Path, name: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    return path


def _ok(name: str, path: Path, pixels: np.ndarray, mode: str, **kw) -> Case:
    """A case that must succeed; outputs are ``STEM-kK.png`` beside the input."""
    modes = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
    layout = pixels[:, :, 0] if pixels.shape[2] == 1 else pixels
    rgba = np.asarray(Image.fromarray(layout, modes[pixels.shape[2]]).convert("RGBA"))
    n_colours = len(np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0))
    ks = kw.pop("ks", KS)
    return Case(name, path, ks=ks, size=(pixels.shape[1], pixels.shape[0]),
                n_colours=n_colours, lossless_rgba=rgba, mode=mode, **kw)


def _fail(name: str, path: Path, message: str, exit_code: int = 1, **kw) -> Case:
    return Case(name, path, exit_code=exit_code, message=message, **kw)


# Every item of build_corpus, in order (tests are parametrized by these names).
CASE_NAMES = (
    "empty", "random-jpg", "random-png", "text", "directory", "missing",
    "jpeg-header-only", "jpeg-half", "jpeg-last-byte-missing", "png-header-only",
    "png-half", "png-last-byte-missing", "bomb", "1x1", "1x5000", "5000x1",
    "one-colour", "two-colours", "grey", "grey-alpha", "rgba-transparent",
    "palette-trns", "grey16", "rgb16", "cmyk-jpeg", "animated-gif", "exif-rotated",
    "unicode-name", "read-only-output", "symlink-to-input",
)

CORRUPT = r"cannot decode it, the file is truncated or corrupt"
NOT_IMAGE = r"not an image file Pillow can read"


def build_corpus(root: Path) -> list[Case]:
    """Write the quick corpus under ``root`` (one directory per case).

    Returns
    -------
    cases : list of Case
        Everything except the 4096 x 4096 all-colours image
        (:func:`build_all_colours`), which is slow.
    """
    rng = np.random.default_rng(5)
    cases: list[Case] = []
    d = root  # every case gets ``root / name``

    # Not images at all.
    cases.append(_fail("empty", _write(d / "empty", "empty.png", b""),
                       r"is empty \(0 bytes\)"))
    cases.append(_fail("random-jpg", _write(d / "random-jpg", "noise.jpg",
                                            rng.bytes(4096)), NOT_IMAGE))
    cases.append(_fail("random-png", _write(d / "random-png", "noise.png",
                                            rng.bytes(4096)), NOT_IMAGE))
    cases.append(_fail("text", _write(d / "text", "readme.txt",
                                      b"This is not an image.\n" * 40), NOT_IMAGE))
    (d / "directory" / "photo.png").mkdir(parents=True)
    cases.append(_fail("directory", d / "directory" / "photo.png", r"is a directory"))
    (d / "missing").mkdir()
    cases.append(_fail("missing", d / "missing" / "nothing-here.png", r"no such file"))

    # Truncated JPEG and PNG.
    photo = photo_like(192, 256, seed=1)
    jpeg = encode(Image.fromarray(photo), "JPEG", quality=90)
    png = encode(Image.fromarray(photo), "PNG")
    cuts = {
        "jpeg-header-only": ("cut.jpg", _jpeg_before_scan(jpeg), CORRUPT),
        "jpeg-half": ("cut.jpg", jpeg[: len(jpeg) // 2], CORRUPT),
        # No End-Of-Image marker: libjpeg stops short of the last MCU row.
        "jpeg-last-byte-missing": ("cut.jpg", jpeg[:-1], CORRUPT),
        # Signature + IHDR and nothing else: Pillow does not recognise it.
        "png-header-only": ("cut.png", png[:33], f"({NOT_IMAGE}|{CORRUPT})"),
        "png-half": ("cut.png", png[: len(png) // 2], CORRUPT),
    }
    for name, (file_name, data, message) in cuts.items():
        cases.append(_fail(name, _write(d / name, file_name, data), message))
    # Only the IEND checksum is cut: every pixel is there, so the run succeeds.
    cases.append(_ok("png-last-byte-missing",
                     _write(d / "png-last-byte-missing", "cut.png", png[:-1]),
                     photo, "RGB"))

    # A PNG whose header claims 100,000 x 100,000 pixels: refused before decoding.
    bomb = png_bytes(100_000, 100_000, 8, 2, b"\x00" * 1000)
    cases.append(_fail("bomb", _write(d / "bomb", "bomb.png", bomb),
                       r"100000 x 100000 = 10,000,000,000 pixels is over the "
                       r"decompression-bomb limit"))

    # Degenerate shapes and colour counts.
    shapes = {"1x1": (1, 1), "1x5000": (1, 5000), "5000x1": (5000, 1)}
    for name, (h, w) in shapes.items():
        pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        path = _write(d / name, f"{name}.png", encode(Image.fromarray(pixels), "PNG"))
        cases.append(_ok(name, path, pixels, "RGB"))
    single = np.full((40, 60, 3), (200, 30, 90), dtype=np.uint8)
    cases.append(_ok("one-colour", _write(d / "one-colour", "one.png",
                                          encode(Image.fromarray(single), "PNG")),
                     single, "RGB"))
    two = single.copy()
    two[:, 30:] = (10, 250, 10)
    cases.append(_ok("two-colours", _write(d / "two-colours", "two.png",
                                           encode(Image.fromarray(two), "PNG")),
                     two, "RGB"))

    # Pixel formats.
    grey = photo_like(48, 64, seed=2)[:, :, 0]
    cases.append(_ok("grey", _write(d / "grey", "grey.png",
                                    encode(Image.fromarray(grey), "PNG")),
                     grey[:, :, None], "L"))
    la = np.stack([grey, rng.integers(0, 256, grey.shape, dtype=np.uint8)], axis=-1)
    cases.append(_ok("grey-alpha", _write(d / "grey-alpha", "la.png",
                                          encode(Image.fromarray(la, "LA"), "PNG")),
                     la, "LA"))
    rgba = np.dstack([photo_like(48, 64, seed=3),
                      np.full((48, 64), 255, dtype=np.uint8)])
    rgba[:, :32, 3] = 0  # fully transparent half, with arbitrary colour beneath
    cases.append(_ok("rgba-transparent", _write(d / "rgba-transparent", "rgba.png",
                                                encode(Image.fromarray(rgba), "PNG")),
                     rgba, "RGBA"))
    pal = Image.fromarray(rng.integers(0, 16, (32, 48), dtype=np.uint8), "P")
    pal.putpalette(rng.integers(0, 256, 48, dtype=np.uint8).tobytes())
    pal_path = _write(d / "palette-trns", "pal.png",
                      encode(pal, "PNG", transparency=3))
    with Image.open(pal_path) as im:
        pal_rgba = np.asarray(im.convert("RGBA"))
    cases.append(_ok("palette-trns", pal_path, pal_rgba, "RGBA"))
    grey16 = (rng.integers(0, 65536, (40, 50)).astype(np.uint16))
    path = _write(d / "grey16", "grey16.png",
                  encode(Image.fromarray(grey16), "PNG"))
    grey16_8 = ((grey16.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    cases.append(_ok("grey16", path, grey16_8[:, :, None], "L"))
    rgb16 = rng.integers(0, 65536, (30, 40, 3)).astype(">u2")  # PNG is big-endian
    raw = b"".join(b"\x00" + row.tobytes() for row in rgb16)
    path = _write(d / "rgb16", "rgb16.png", png_bytes(40, 30, 16, 2, raw))
    cases.append(_ok("rgb16", path, (rgb16 >> 8).astype(np.uint8), "RGB"))
    cmyk = Image.fromarray(photo_like(40, 56, seed=4)).convert("CMYK")
    path = _write(d / "cmyk", "cmyk.jpg", encode(cmyk, "JPEG", quality=95))
    with Image.open(path) as im:
        cases.append(_ok("cmyk-jpeg", path, np.asarray(im.convert("RGB")), "RGB"))
    frames = [Image.fromarray(np.full((24, 32, 3), c, dtype=np.uint8))
              for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    path = _write(d / "animated", "anim.gif",
                  encode(frames[0], "GIF", save_all=True, append_images=frames[1:],
                         duration=100, loop=0))
    cases.append(_ok("animated-gif", path, np.full((24, 32, 3), (255, 0, 0),
                                                   dtype=np.uint8), "RGB"))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": a 40 x 20 file shows as 20 x 40
    wide = Image.fromarray(photo_like(20, 40, seed=6))
    path = _write(d / "exif-rotated", "rotated.jpg",
                  encode(wide, "JPEG", quality=95, exif=exif))
    with Image.open(path) as im:
        from PIL import ImageOps

        upright = np.asarray(ImageOps.exif_transpose(im))
    assert upright.shape[:2] == (40, 20)
    cases.append(_ok("exif-rotated", path, upright, "RGB"))

    # Awkward names and outputs.
    small = photo_like(24, 32, seed=7)
    path = _write(d / "names", "my photo – été 写真.png",
                  encode(Image.fromarray(small), "PNG"))
    cases.append(_ok("unicode-name", path, small, "RGB"))
    path = _write(d / "read-only", "in.png", encode(Image.fromarray(small), "PNG"))
    (d / "read-only" / "locked").mkdir()  # the test makes it read-only
    cases.append(_fail("read-only-output", path,
                       r"(permission denied|Operation not permitted)",
                       args=("--out-dir", str(d / "read-only" / "locked"))))
    path = _write(d / "symlink", "in.png", encode(Image.fromarray(small), "PNG"))
    for k in KS:  # every default output name is a symlink to the input
        (d / "symlink" / f"in-k{k}.png").symlink_to("in.png")
    cases.append(_fail("symlink-to-input", path, r"is the input file", exit_code=2,
                       args=("--force",)))
    return cases


def build_all_colours(root: Path) -> Case:
    """The 4096 x 4096 image of all 16,777,216 colours, as a PNG (slow)."""
    pixels = all_colours()
    path = _write(root / "all-colours", "all.png",
                  encode(Image.fromarray(pixels), "PNG", compress_level=1))
    return Case("all-colours", path, ks=ALL_COLOURS_KS, size=(4096, 4096),
                n_colours=1 << 24, mode="RGB")


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    for case in build_corpus(target):
        print(f"{case.name:24s} {'ok' if case.must_succeed else case.exit_code}  "
              f"{case.path}")
