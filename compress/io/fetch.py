"""Downloads: an ``http(s)://`` image within a time and a size limit.

A body that is not an image is reported by :func:`compress.io.read.decode_image`.
"""

from __future__ import annotations

import socket
import time

from .. import __version__
from ..errors import CompressError

CHUNK_BYTES = 1 << 16  # read the body 64 KiB at a time, checking both limits
USER_AGENT = f"kmeans-compress/{__version__} (Python urllib)"


def is_url(text: str) -> bool:
    """Whether ``text`` names an http or https URL rather than a file."""
    return text.lower().startswith(("http://", "https://"))


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
    # Here, not at the top: with http, email and ssl it took 20 ms of every run.
    import urllib.error
    import urllib.request

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
            body = bytearray()
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError
                chunk = response.read1(CHUNK_BYTES)
                if not chunk:
                    break
                body += chunk
                if len(body) > max_bytes:
                    raise CompressError(
                        f"{url}: the download passed the limit of {mib}; raise it "
                        "with --max-download-mb if the image is that large.")
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
    return bytes(body), content_type.split(";")[0].strip()


def _reason(reason, timeout: float) -> str:
    """Plain words for the reason of a ``URLError``."""
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the server running, and the port right?)"
    if isinstance(reason, socket.gaierror):
        return "unknown host (check the address, or the network connection)"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s; try again, or raise --timeout"
    return f"cannot download it ({getattr(reason, 'strerror', None) or reason})"
