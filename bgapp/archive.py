"""Extract an uploaded zip without trusting it.

Uploads come from strangers on a hosted demo. A member path with ``..`` or an absolute path
would write outside the target, a symlink member could point anywhere, and a small zip can
inflate to gigabytes. Each is refused with one clear message; nothing is written outside
``dest``, and a refused archive leaves no partial files behind.

An extraction folder is a server's temporary folder, a name the user never chose: a marker file
in it records the zip's own name, so that reports and messages show ``NAME.zip:member/path``
(:func:`shown_path`) wherever the files are opened again, worker processes included.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from .errors import BgappError

MAX_TOTAL_BYTES = 2 * 1024**3  # uncompressed size cap
MAX_MEMBERS = 50_000
MAX_RATIO = 200  # uncompressed/compressed beyond this is a zip bomb, not image data
MARKER = ".bgapp-zip"  # in an extraction folder: the zip's name as its user knows it
_MARKER_DEPTH = 8  # a sequence lies at most 3 folders down, its files 2 more


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; names not flagged UTF-8 are decoded as cp437 (the zip default) by
    zipfile, which never fails, so undecodable names still get a printable path."""
    return info.filename.replace("\\", "/")


def check_members(zf: zipfile.ZipFile, max_total: int = MAX_TOTAL_BYTES) -> list[zipfile.ZipInfo]:
    """The members to extract, or a BgappError naming the first unsafe one."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BgappError(f"the zip holds {len(infos)} entries; at most {MAX_MEMBERS} are accepted")
    total = 0
    out = []
    for info in infos:
        name = _member_name(info)
        path = PurePosixPath(name)
        if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in path.parts:
            raise BgappError(f"the zip contains an unsafe path {name!r} (absolute or with ..): refused")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise BgappError(f"the zip contains a symbolic link {name!r}: refused")
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise BgappError("the zip is password-protected: upload an unencrypted zip")
        if path.name.startswith("._") or "__MACOSX" in path.parts:
            continue  # macOS resource forks: not images
        total += info.file_size
        if total > max_total:
            raise BgappError(f"the zip expands to more than {max_total // 1024**2} MB: refused")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 10 * 1024**2:
            raise BgappError(f"the zip member {name!r} expands {info.file_size // info.compress_size}x: "
                             f"refused as a likely zip bomb")
        out.append(info)
    if not out:
        raise BgappError("the zip is empty")
    return out


def safe_extract(archive: str | Path | BinaryIO, dest: str | Path, max_total: int = MAX_TOTAL_BYTES,
                 name: str | None = None) -> Path:
    """Extract ``archive`` into ``dest`` (created) and return ``dest``.

    Sizes are enforced while writing too, since a member's declared size can lie. ``name`` is the
    zip as the user knows it (default: the archive file's name), recorded for :func:`shown_path`.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    written: list[Path] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            members = check_members(zf, max_total)
            budget = max_total
            for info in members:
                target = (root / _member_name(info)).resolve()
                if root not in target.parents:
                    raise BgappError(f"the zip contains an unsafe path {info.filename!r}: refused")
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    written.append(target)
                    while chunk := src.read(1 << 20):
                        budget -= len(chunk)
                        if budget < 0:
                            raise BgappError(f"the zip expands to more than {max_total // 1024**2} MB: refused")
                        dst.write(chunk)
    except zipfile.BadZipFile:
        _cleanup(dest, written)
        raise BgappError("not a readable zip file") from None
    except UnicodeDecodeError:  # a name flagged UTF-8 that is not (zipfile decodes names on open)
        _cleanup(dest, written)
        raise BgappError("the zip's file names are marked as UTF-8 but are not: re-create the zip") from None
    except RuntimeError as exc:  # zipfile's word for an encrypted member
        _cleanup(dest, written)
        if "encrypted" in str(exc) or "password" in str(exc):
            raise BgappError("the zip is password-protected: upload an unencrypted zip") from None
        raise
    except (BgappError, OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
        _cleanup(dest, written)
        if isinstance(exc, BgappError):
            raise
        raise BgappError(f"cannot extract the zip: {exc}") from None
    if name is None:
        name = Path(archive).name if isinstance(archive, (str, Path)) else "the zip"
    (dest / MARKER).write_text(name, encoding="utf-8", errors="surrogateescape")
    return dest


def zip_origin(path: str | Path) -> tuple[str, PurePosixPath] | None:
    """``(zip name, path inside the zip)`` for a path under a folder :func:`safe_extract` filled,
    else None."""
    p = Path(os.path.abspath(path))
    for folder in [p, *p.parents][:_MARKER_DEPTH]:
        marker = folder / MARKER
        try:
            if not marker.is_file():
                continue
            name = marker.read_text(encoding="utf-8", errors="surrogateescape").strip() or "the zip"
        except OSError:
            continue
        return name, PurePosixPath(p.relative_to(folder).as_posix())
    return None


def shown_path(path: str | Path) -> str:
    """``path`` as its user knows it: ``NAME.zip:member/path`` (or ``NAME.zip`` for the zip's root)
    under an extracted zip, never the server's temporary folder; ``path`` itself elsewhere."""
    origin = zip_origin(path)
    if origin is None:
        return str(path)
    name, inside = origin
    return f"{name}:{inside}" if inside.parts else name


def _cleanup(dest: Path, written: list[Path]) -> None:
    for p in written:
        p.unlink(missing_ok=True)
    for d in sorted({p.parent for p in written}, key=lambda x: len(x.parts), reverse=True):
        if d != dest and d.is_dir() and not any(d.iterdir()):
            shutil.rmtree(d, ignore_errors=True)
