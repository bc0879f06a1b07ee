"""Hostile zips are refused with one clear message and leave nothing behind."""

import io
import stat
import zipfile

import cv2
import numpy as np
import pytest

from bgapp.archive import safe_extract
from bgapp.errors import BgappError
from bgapp.sequences import find_sequences


def _zip(entries, path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            if isinstance(name, zipfile.ZipInfo):
                zf.writestr(name, data)
            else:
                zf.writestr(name, data)
    return path


def _png(v=0):
    return cv2.imencode(".png", np.full((8, 8), v, np.uint8))[1].tobytes()


def test_cdnet_folder_zip_extracts_and_loads(tmp_path):
    entries = [(f"seq/input/in{i:06d}.png", _png(i)) for i in range(1, 4)]
    entries += [(f"seq/groundtruth/gt{i:06d}.png", _png(0)) for i in range(1, 4)]
    entries += [("seq/temporalROI.txt", b"1 3"), ("__MACOSX/seq/._in000001.png", b"junk")]
    out = safe_extract(_zip(entries, tmp_path / "a.zip"), tmp_path / "out")
    seqs = find_sequences(out)
    assert [s.name for s in seqs] == ["seq"] and len(seqs[0]) == 3


@pytest.mark.parametrize("name", ["../evil.png", "/etc/evil.png", "a/../../evil.png"])
def test_path_traversal_is_refused(tmp_path, name):
    z = _zip([("ok.png", _png()), (name, b"x")], tmp_path / "a.zip")
    with pytest.raises(BgappError, match="unsafe path"):
        safe_extract(z, tmp_path / "out")
    assert not (tmp_path / "evil.png").exists()
    assert not any((tmp_path / "out").rglob("*.png"))


def test_symlink_member_is_refused(tmp_path):
    info = zipfile.ZipInfo("link.png")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = _zip([(info, "/etc/passwd")], tmp_path / "a.zip")
    with pytest.raises(BgappError, match="symbolic link"):
        safe_extract(z, tmp_path / "out")


def test_zip_bomb_is_capped(tmp_path):
    z = _zip([("big.bin", b"\0" * (30 * 1024**2))], tmp_path / "a.zip")
    assert z.stat().st_size < 100_000
    with pytest.raises(BgappError, match="refused"):
        safe_extract(z, tmp_path / "out")
    with pytest.raises(BgappError, match="more than 1 MB"):
        safe_extract(_zip([("a.bin", b"\1" * (2 * 1024**2))], tmp_path / "b.zip"), tmp_path / "o2", max_total=1024**2)


def test_not_a_zip_and_empty_zip(tmp_path):
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"hello")
    with pytest.raises(BgappError, match="not a readable zip"):
        safe_extract(bad, tmp_path / "out")
    buf = io.BytesIO()
    zipfile.ZipFile(buf, "w").close()
    with pytest.raises(BgappError, match="empty"):
        safe_extract(io.BytesIO(buf.getvalue()), tmp_path / "out2")


def test_non_utf8_member_names_extract(tmp_path):
    info = zipfile.ZipInfo("seq/in/caf\xe9.png")  # written as cp437, not flagged UTF-8
    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(info, _png())
    out = safe_extract(z, tmp_path / "out")
    assert len(list(out.rglob("*.png"))) == 1


def test_encrypted_zip_is_named_as_such(tmp_path):
    z = tmp_path / "enc.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("seq/in/a.png", _png())
    data = bytearray(z.read_bytes())
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" flag bit
        i = data.index(sig)
        data[i + off] |= 0x1
    z.write_bytes(bytes(data))
    with pytest.raises(BgappError, match="password"):
        safe_extract(z, tmp_path / "out")
