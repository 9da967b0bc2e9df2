"""Where an image comes from: a local file or an ``http(s)://`` URL.

``python -m compress https://host/path/painting.jpg 5`` reads the image
over the network, as the original exercise did with ``io.imread(url)``, and
writes ``painting-k5.png`` in the current directory.  The download uses the
standard library (``urllib.request``) with a time limit for the whole
download and a size limit, and every failure is one line: HTTP errors (404),
refused connections, unknown hosts, timeouts, bodies over the limit.  A body
that is not an image is reported by :func:`compress.io.read.decode_image`.
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..errors import CompressError

CHUNK_BYTES = 1 << 16  # read the body 64 KiB at a time, checking both limits
USER_AGENT = "kmeans-compress/0.1 (Python urllib)"


def is_url(text: str) -> bool:
    """Whether ``text`` names an http or https URL rather than a file."""
    return text.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Source:
    """An input: its name for messages and titles, and where outputs go.

    Attributes
    ----------
    text : str
        As given on the command line.
    path : Path or None
        The local file; None for a URL.
    name : str
        File name, e.g. ``painting.jpg`` (the last segment of a URL's path).
    directory : Path
        Default output directory: the file's own, or ``.`` for a URL.
    """

    text: str
    path: Path | None
    name: str
    directory: Path

    @property
    def stem(self) -> str:
        """Name without its suffix: outputs are ``STEM-kK.png``."""
        return Path(self.name).stem

    @classmethod
    def of(cls, text: str) -> Source:
        """Describe ``text``, a file path or an http(s) URL."""
        if not is_url(text):
            path = Path(text)
            return cls(text, path, path.name, path.parent)
        segment = urllib.parse.unquote(urllib.parse.urlsplit(text).path)
        name = segment.rsplit("/", 1)[-1].strip()
        if Path(name).stem in ("", ".", ".."):
            name = "download"
        return cls(text, None, name, Path("."))


def fetch_url(url: str, *, timeout: float = 30.0,
              max_bytes: int = 100 * 2**20) -> tuple[bytes, str]:
    """Download ``url`` within ``timeout`` seconds and ``max_bytes`` bytes.

    Parameters
    ----------
    url : str
        An http or https URL.
    timeout : float, default=30.0
        Seconds for the whole download (connection, headers and body).
    max_bytes : int, default=100 MiB
        Refuse a body larger than this (checked against Content-Length and
        while reading, so an endless body stops at the limit).

    Returns
    -------
    body : bytes
    content_type : str
        The server's Content-Type, ``""`` if it sent none.

    Raises
    ------
    CompressError
        One line saying what failed: HTTP status, refused connection, unknown
        host, timeout, or a body over the limit.
    """
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    mib = f"{max_bytes / 2**20:g} MB"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            content_type = response.headers.get("Content-Type", "") or ""
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise CompressError(
                    f"{url}: the server announces {int(length):,} bytes, over the "
                    f"download limit of {mib}; raise it with --max-download-mb.")
            chunks, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError
                chunk = response.read1(CHUNK_BYTES)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise CompressError(
                        f"{url}: the download passed the limit of {mib}; raise it "
                        "with --max-download-mb if the image is that large.")
                chunks.append(chunk)
    except urllib.error.HTTPError as e:
        raise CompressError(f"{url}: the server answered HTTP {e.code} "
                            f"{e.reason}.") from None
    except urllib.error.URLError as e:
        raise CompressError(f"{url}: {_reason(e.reason, timeout)}.") from None
    except TimeoutError:
        raise CompressError(f"{url}: no complete answer within {timeout:g} s; "
                            "try again, or raise --timeout.") from None
    except (ValueError, OSError) as e:  # malformed URL, connection reset
        raise CompressError(f"{url}: cannot download it ({e}).") from None
    return b"".join(chunks), content_type.split(";")[0].strip()


def _reason(reason, timeout: float) -> str:
    """Plain words for the reason of a ``URLError``."""
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the server running, and the port right?)"
    if isinstance(reason, socket.gaierror):
        return "unknown host (check the address, or the network connection)"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s; try again, or raise --timeout"
    return f"cannot download it ({getattr(reason, 'strerror', None) or reason})"


SAMPLE_IMAGE = "grace_hopper.jpg"  # ships with matplotlib's sample data


def sample_image_path() -> Path:
    """Path of the sample photo shipped with matplotlib (Grace Hopper, 600 x 512)."""
    from matplotlib import cbook

    path = Path(cbook.get_sample_data(SAMPLE_IMAGE, asfileobj=False))
    if not path.is_file():
        raise CompressError(f"matplotlib's sample image {SAMPLE_IMAGE} is missing; "
                            "reinstall matplotlib.")
    return path
