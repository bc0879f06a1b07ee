"""Run a command the way Docker's default seccomp profile runs it as far as ``unshare`` goes:
every ``unshare(2)`` call fails with EPERM, every other system call is allowed.

    python scripts/no_unshare.py CMD [ARG...]
    python scripts/no_unshare.py .venv/bin/streamlit run app.py --server.headless true

It installs a classic-BPF seccomp filter in this process (``PR_SET_NO_NEW_PRIVS``, then
``PR_SET_SECCOMP``/``SECCOMP_MODE_FILTER``; no root needed, no dependency) and execs CMD, which keeps
the filter, as do its threads and children. Linux only: x86_64 (also its x32 and i386 system call
numbers) and aarch64. ``install()`` does the same in the calling process.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
# classic BPF opcodes
LD_W_ABS = 0x00 | 0x00 | 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ_K = 0x05 | 0x10 | 0x00  # BPF_JMP | BPF_JEQ | BPF_K
RET_K = 0x06 | 0x00  # BPF_RET | BPF_K
NR_OFFSET, ARCH_OFFSET = 0, 4  # struct seccomp_data: int nr; __u32 arch; ...

# (AUDIT_ARCH_*, the numbers of unshare in that ABI), per machine
UNSHARE: dict[str, list[tuple[int, tuple[int, ...]]]] = {
    "x86_64": [(0xC000003E, (272, 0x40000000 | 272)),  # x86_64 and x32
               (0x40000003, (310,))],  # i386 (int 0x80)
    "aarch64": [(0xC00000B7, (97,))],
}


def program(arches: list[tuple[int, tuple[int, ...]]], err: int = errno.EPERM) -> list[tuple[int, int, int, int]]:
    """The filter, as (code, jt, jf, k): ERRNO(err) when the arch and one of its numbers match, else ALLOW."""
    deny = 1 + sum(len(numbers) + 3 for _, numbers in arches) + 1  # where the last instruction will be
    insns: list[tuple[int, int, int, int]] = [(LD_W_ABS, 0, 0, ARCH_OFFSET)]
    for arch, numbers in arches:
        insns.append((JEQ_K, 0, len(numbers) + 2, arch))  # another arch: skip this block
        insns.append((LD_W_ABS, 0, 0, NR_OFFSET))
        for nr in numbers:
            insns.append((JEQ_K, deny - len(insns) - 1, 0, nr))
        insns.append((RET_K, 0, 0, SECCOMP_RET_ALLOW))
    insns.append((RET_K, 0, 0, SECCOMP_RET_ALLOW))
    insns.append((RET_K, 0, 0, SECCOMP_RET_ERRNO | (err & 0xFFFF)))
    assert len(insns) == deny + 1
    return insns


def install() -> None:
    """Make every later unshare(2) of this process (and of what it execs or starts) fail with EPERM."""
    arches = UNSHARE.get(platform.machine())
    if arches is None:
        raise SystemExit(f"no_unshare: unsupported machine {platform.machine()!r}")
    insns = program(arches)
    raw = b"".join(struct.pack("HBBI", *i) for i in insns)
    buf = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(insns), ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    steps = ((PR_SET_NO_NEW_PRIVS, 1, None), (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog)))
    for option, arg2, arg3 in steps:
        if libc.prctl(option, arg2, arg3, 0, 0) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"prctl({option}): {os.strerror(e)}")


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        raise SystemExit(0 if argv else 2)
    install()
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        raise SystemExit(f"no_unshare: cannot run {argv[0]}: {exc}") from exc


if __name__ == "__main__":
    main(sys.argv[1:])
