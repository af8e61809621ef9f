#!/usr/bin/env python3
"""Writes the seed corpora, fuzz/corpus/<target>/, one file per case.

Every operation and every rule by which push refuses a message appears at
least once, named after what it shows. The encodings are those described at
the top of each fuzz/<target>.c; control headers are laid out as on 64-bit
little-endian Linux (cmsg_len in 8 bytes, then level and type). Run it again
after changing an encoding: `fuzz/make-corpus.py`.
"""

import os
import shutil
import struct
import sys


def u8(v):
    return bytes([v & 0xFF])


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def i32(v):
    return struct.pack("<i", v)


# ---- send_ops_fuzzer ------------------------------------------------------

INIT, RIGHTS, CREDS, RAW, EXTEND, CLEAR = range(6)
# named[] in send_ops_fuzzer.c, in order
NAMED = [
    "SCM_RIGHTS", "SCM_CREDENTIALS", "SO_MARK", "SO_PRIORITY",
    "SO_TIMESTAMPING_OLD", "SO_TIMESTAMPING_NEW", "SCM_TXTIME", "SCM_TS_OPT_ID",
    "SO_DEBUG", "IP_PKTINFO", "IP_TTL", "IP_TOS", "IP_OPTIONS", "UDP_SEGMENT",
    "SOL_UDP/1", "IPV6_PKTINFO", "IPV6_HOPLIMIT", "IPV6_TCLASS", "IPV6_DONTFRAG",
    "IPPROTO_IPV6/99", "-1/-1", "INT_MIN/INT_MAX",
    "IPV6_2292HOPLIMIT", "IPV6_2292PKTINFO", "IP_RETOPTS", "IP_PROTOCOL", "IPV6_FLOWINFO",
    "IPV6_HOPOPTS", "IPV6_2292HOPOPTS", "IPV6_DSTOPTS", "IPV6_2292DSTOPTS",
    "IPV6_RTHDRDSTOPTS", "IPV6_RTHDR", "IPV6_2292RTHDR", "SCM_DEVMEM_DMABUF", "IPPROTO_TCP/1",
]
# huge[] in send_ops_fuzzer.c, in order
HUGE = ["BIGGEST_FIT", "BIGGEST_FIT+1", "BIGGEST_FIT-64", "INT_MAX", "INT_MAX+1", "SIZE_MAX"]


def init(size, offset=0, fill=0xEE, flags=0):
    return u8(INIT) + u8(flags) + u16(size) + u8(offset) + u8(fill)


def rights_body(fds):
    return u16(len(fds)) + bytes(fd & 0xFF for fd in fds)


def creds_body(pid=1, uid=0, gid=0):
    return u32(pid) + u32(uid) + u32(gid)


def raw_body(kind, payload=b"", null_len=None, huge=None, null=False, unchecked=False):
    """kind: a NAMED entry or a (level, type) pair; unchecked: cmsgbuf_unchecked()."""
    head = u8(NAMED.index(kind)) if isinstance(kind, str) else u8(0xFF) + i32(kind[0]) + i32(kind[1])
    made = 4 if unchecked else 0
    if huge is not None:
        return head + u8(3 | made) + u8(HUGE.index(huge) | (0x80 if null else 0)) + (b"" if null else b"\x5a")
    if null_len is not None:
        return head + u8(2 | made) + u16(null_len)
    return head + u8(0 | made) + u16(len(payload)) + payload


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def typed_body(kind, value=0, block=b"", held_len=None):
    """A value constructor's message (bit 3 of the mode): kind a NAMED entry or (level, type);
    value the u64 the constructor takes the low bytes of; block the packet-info struct;
    held_len: for a kind without a constructor, a message filled in by hand holding that many bytes."""
    head = u8(NAMED.index(kind)) if isinstance(kind, str) else u8(0xFF) + i32(kind[0]) + i32(kind[1])
    return head + u8(8) + u64(value) + block + (u8(held_len) if held_len is not None else b"")


def typed(kind, value=0, block=b"", **kw):
    return u8(RAW) + typed_body(kind, value, block, **kw)


def rights(fds):
    return u8(RIGHTS) + rights_body(fds)


def creds(**kw):
    return u8(CREDS) + creds_body(**kw)


def raw(kind, payload=b"", **kw):
    return u8(RAW) + raw_body(kind, payload, **kw)


def extend(*msgs):
    """msgs: (0, rights_body) / (1, creds_body) / (2, raw_body) pairs."""
    return u8(EXTEND) + u8(len(msgs)) + b"".join(u8(k) + body for k, body in msgs)


def clear():
    return u8(CLEAR)


def fds(n):
    """n valid descriptors: an fd byte of 0x80 or more decodes as negative."""
    return [i % 128 for i in range(n)]


def send_ops_seeds():
    big = init(4096)
    s = {}
    # init: every offset from an aligned address, sizes around a message's space
    s["init-every-offset"] = b"".join(init(24 + off, off) + rights([3]) for off in range(16))
    s["init-smaller-than-alignment"] = init(3, 1) + rights([0]) + init(7, 1) + rights([0])
    s["init-null-space"] = init(0, flags=1) + rights([0]) + creds()
    s["init-send-empty"] = init(0, flags=2) + raw((7, 7))
    s["init-garbage-fill"] = init(256, 5, fill=0xFF) + rights([1, 2]) + raw("IP_TOS", b"\x07")
    s["nospace-exact-fit"] = init(24) + rights([0]) + rights([0])
    s["nospace-one-byte-short"] = init(23) + rights([0]) + init(31, 3) + rights([0])
    s["nospace-extend"] = init(48) + extend((0, rights_body([1])), (0, rights_body([2])), (0, rights_body([3])))
    # rights
    s["rights-1"] = big + rights([0])
    s["rights-2"] = big + rights([0, 1])
    s["rights-253"] = big + rights(fds(253))
    s["rights-253-split"] = big + rights(fds(200)) + rights(fds(53)) + rights([1])
    s["refuse-rights-254"] = big + rights(fds(254))
    s["refuse-rights-none"] = big + rights([]) + raw("SCM_RIGHTS") + raw("SCM_RIGHTS", null_len=0)
    s["refuse-rights-negative"] = big + rights([0, -1]) + rights([-128])
    s["refuse-rights-odd-length"] = big + raw("SCM_RIGHTS", b"\x01\x00\x00\x00\x02")
    s["rights-raw"] = big + raw("SCM_RIGHTS", u32(5) + u32(6))
    # credentials
    s["creds"] = big + creds(pid=1234, uid=1000, gid=100)
    s["refuse-creds-twice"] = big + creds() + creds() + raw("SCM_CREDENTIALS", creds_body())
    s["refuse-creds-length"] = big + raw("SCM_CREDENTIALS", b"\0" * 8) + raw("SCM_CREDENTIALS", b"\0" * 16)
    s["creds-raw"] = big + raw("SCM_CREDENTIALS", creds_body(7, 8, 9))
    s["creds-after-clear"] = big + creds() + clear() + creds() + rights([4])
    # the other SOL_SOCKET kinds: right length, wrong length, twice
    for kind, size in [("SO_MARK", 4), ("SO_PRIORITY", 4), ("SO_TIMESTAMPING_OLD", 4),
                       ("SO_TIMESTAMPING_NEW", 4), ("SCM_TXTIME", 8), ("SCM_TS_OPT_ID", 4)]:
        name = kind.lower().replace("_", "-")
        s[name] = big + raw(kind, b"\x01" * size)
        s["refuse-" + name + "-length"] = big + raw(kind, b"\x01" * (size + 1)) + raw(kind, b"")
        s["refuse-" + name + "-twice"] = big + raw(kind, b"\x01" * size) + raw(kind, b"\x02" * size)
    s["refuse-sol-socket-unknown"] = big + raw("SO_DEBUG", u32(1)) + raw((1, 12345), b"")
    # IP and UDP kinds
    s["ip-pktinfo"] = big + raw("IP_PKTINFO", bytes(range(12)))
    s["refuse-ip-pktinfo"] = big + raw("IP_PKTINFO", bytes(11)) + raw("IP_PKTINFO", bytes(12)) + raw("IP_PKTINFO", bytes(12))
    s["ip-ttl"] = big + raw("IP_TTL", i32(1)) + clear() + raw("IP_TTL", i32(255))
    s["refuse-ip-ttl"] = (big + raw("IP_TTL", i32(0)) + raw("IP_TTL", i32(256)) + raw("IP_TTL", b"\x40")
                          + raw("IP_TTL", i32(64)) + raw("IP_TTL", i32(64)))
    s["ip-tos"] = big + raw("IP_TOS", i32(0)) + clear() + raw("IP_TOS", i32(255)) + clear() + raw("IP_TOS", b"\xff")
    s["refuse-ip-tos"] = (big + raw("IP_TOS", i32(256)) + raw("IP_TOS", i32(-1)) + raw("IP_TOS", b"\0\0")
                          + raw("IP_TOS", b"\x10") + raw("IP_TOS", i32(16)))
    s["refuse-ip-unknown-type"] = big + raw("IP_OPTIONS", b"\x01" * 9) + raw("IP_OPTIONS", b"")
    s["udp-segment"] = big + raw("UDP_SEGMENT", u16(1400))
    s["refuse-udp-unknown-type"] = big + raw("SOL_UDP/1", b"\x01\x02\x03") + raw((17, -5), u32(1))
    s["refuse-udp-segment"] = big + raw("UDP_SEGMENT", u32(1400)) + raw("UDP_SEGMENT", u16(1)) + raw("UDP_SEGMENT", u16(2))
    s["ipv6-pktinfo"] = big + raw("IPV6_PKTINFO", bytes(20)) + clear() + raw("IPV6_PKTINFO", bytes(24))
    s["refuse-ipv6-pktinfo"] = big + raw("IPV6_PKTINFO", bytes(19)) + raw("IPV6_PKTINFO", bytes(20)) + raw("IPV6_PKTINFO", bytes(20))
    for kind in ["IPV6_HOPLIMIT", "IPV6_TCLASS"]:
        name = kind.lower().replace("_", "-")
        s[name] = big + raw(kind, i32(-1)) + clear() + raw(kind, i32(255))
        s["refuse-" + name] = (big + raw(kind, i32(-2)) + raw(kind, i32(256)) + raw(kind, b"\x01")
                               + raw(kind, i32(3)) + raw(kind, i32(3)))
    s["ipv6-dontfrag"] = big + raw("IPV6_DONTFRAG", i32(0)) + clear() + raw("IPV6_DONTFRAG", i32(1))
    s["refuse-ipv6-dontfrag"] = (big + raw("IPV6_DONTFRAG", i32(2)) + raw("IPV6_DONTFRAG", i32(-1))
                                 + raw("IPV6_DONTFRAG", i32(1)) + raw("IPV6_DONTFRAG", i32(0)))
    s["refuse-ipv6-unknown-type"] = big + raw("IPPROTO_IPV6/99", b"\x09" * 3) + raw((41, 1000), i32(1))
    s["other-level-copied"] = big + raw("IPPROTO_TCP/1", b"\x09" * 3) + raw("IPPROTO_TCP/1", b"")
    # value rules
    tx_mask = (1 << 0) | (1 << 1) | (1 << 8) | (1 << 9) | (1 << 18)
    for kind in ["SO_TIMESTAMPING_OLD", "SO_TIMESTAMPING_NEW"]:
        name = kind.lower().replace("_", "-")
        s[name + "-tx-mask"] = big + raw(kind, u32(tx_mask)) + clear() + raw(kind, u32(0))
        s["refuse-" + name + "-0x12"] = big + raw(kind, u32(0x12)) + raw(kind, u32(1 << 4)) + raw(kind, u32(1 << 31))
    s["ip-protocol"] = big + raw("IP_PROTOCOL", i32(1)) + clear() + raw("IP_PROTOCOL", i32(255))
    s["refuse-ip-protocol"] = (big + raw("IP_PROTOCOL", i32(0)) + raw("IP_PROTOCOL", i32(256))
                               + raw("IP_PROTOCOL", b"\x11") + raw("IP_PROTOCOL", i32(17)) + raw("IP_PROTOCOL", i32(17)))
    s["ip-retopts"] = big + raw("IP_RETOPTS", b"\x01" * 40) + clear() + raw("IP_RETOPTS", b"")
    s["refuse-ip-retopts"] = big + raw("IP_RETOPTS", b"\x01" * 41) + raw("IP_RETOPTS", b"\x01" * 4) + raw("IP_RETOPTS", b"\x01" * 4)
    s["ipv6-flowinfo"] = big + raw("IPV6_FLOWINFO", b"\x0f\xff\xff\xff") + clear() + raw("IPV6_FLOWINFO", bytes(8))
    s["refuse-ipv6-flowinfo"] = (big + raw("IPV6_FLOWINFO", b"\x10\0\0\0") + raw("IPV6_FLOWINFO", bytes(3))
                                 + raw("IPV6_FLOWINFO", bytes(4)) + raw("IPV6_FLOWINFO", bytes(4)))
    for kind in ["IPV6_HOPOPTS", "IPV6_2292HOPOPTS", "IPV6_DSTOPTS", "IPV6_2292DSTOPTS", "IPV6_RTHDRDSTOPTS"]:
        name = kind.lower().replace("_", "-")
        s[name] = big + raw(kind, bytes(8)) + clear() + raw(kind, b"\0\x01" + bytes(14))
        s["refuse-" + name] = big + raw(kind, b"\0\x01" + bytes(6)) + raw(kind, b"\0") + raw(kind, bytes(8)) + raw(kind, bytes(8))
    for kind in ["IPV6_RTHDR", "IPV6_2292RTHDR"]:
        name = kind.lower().replace("_", "-")
        s[name] = big + raw(kind, b"\0\x02\x02\x01" + bytes(20))
        s["refuse-" + name] = (big + raw(kind, b"\0\x02\x00\x01" + bytes(20)) + raw(kind, b"\0\x02\x02\x02" + bytes(20))
                               + raw(kind, b"\0\x02\x02\x01" + bytes(4)) + raw(kind, b"\0\x02\x02\x01" + bytes(20))
                               + raw(kind, b"\0\x02\x02\x01" + bytes(20)))
    s["scm-devmem-dmabuf"] = big + raw("SCM_DEVMEM_DMABUF", u32(7))
    s["refuse-scm-devmem-dmabuf"] = big + raw("SCM_DEVMEM_DMABUF", u32(7) * 2) + raw("SCM_DEVMEM_DMABUF", u32(7)) + raw("SCM_DEVMEM_DMABUF", u32(8))
    # two kinds that set one field of the kernel's send state
    one = i32(1)
    s["refuse-field-timestamping"] = big + raw("SO_TIMESTAMPING_OLD", u32(2)) + raw("SO_TIMESTAMPING_NEW", u32(0))
    s["refuse-field-hoplimit"] = big + raw("IPV6_HOPLIMIT", i32(10)) + raw("IPV6_2292HOPLIMIT", i32(20))
    s["refuse-field-priority"] = (big + raw("SO_PRIORITY", u32(5)) + raw("IP_TOS", i32(0)) + clear()
                                  + raw("IP_TOS", b"\x10") + raw("SO_PRIORITY", u32(5)))
    s["refuse-field-source"] = (big + raw("IP_PKTINFO", bytes(12)) + raw("IPV6_PKTINFO", bytes(20))
                                + raw("IPV6_2292PKTINFO", bytes(20)) + clear() + raw("IPV6_2292PKTINFO", bytes(20))
                                + raw("IPV6_PKTINFO", bytes(20)))
    s["refuse-field-extension-headers"] = (big + raw("IPV6_HOPOPTS", bytes(8)) + raw("IPV6_2292HOPOPTS", bytes(8))
                                           + raw("IPV6_2292DSTOPTS", bytes(8)) + raw("IPV6_DSTOPTS", bytes(8))
                                           + raw("IPV6_RTHDRDSTOPTS", bytes(8)))
    s["fields-apart-are-taken"] = (big + raw("SO_TIMESTAMPING_OLD", u32(2)) + raw("IPV6_HOPLIMIT", one)
                                   + raw("SO_PRIORITY", u32(5)) + raw("IPV6_TCLASS", one) + raw("IP_PKTINFO", bytes(12))
                                   + raw("IP_TTL", one) + raw("IPV6_DONTFRAG", one) + raw("UDP_SEGMENT", u16(9)))
    s["refuse-extend-field-pair"] = big + extend((2, raw_body("IPV6_HOPLIMIT", one)), (2, raw_body("IPV6_2292HOPLIMIT", one)))
    # cmsgbuf_unchecked(): the structural checks alone
    s["unchecked-unknown-types"] = (big + raw((1, 79), u32(1), unchecked=True) + raw((1, 0x7EAD), b"x", unchecked=True)
                                    + raw("IPPROTO_IPV6/99", b"", unchecked=True) + raw("SOL_UDP/1", i32(1), unchecked=True))
    s["unchecked-refused-values"] = (big + raw("IP_TOS", i32(256), unchecked=True) + raw("IP_TOS", i32(1), unchecked=True)
                                     + raw("SO_TIMESTAMPING_NEW", u32(0x12), unchecked=True) + raw("SO_PRIORITY", u32(1))
                                     + raw("SO_TIMESTAMPING_OLD", u32(2)))
    s["unchecked-rights-count"] = (big + raw("SCM_RIGHTS", u32(0xFFFFFFFF) * 250, unchecked=True)
                                   + raw("SCM_RIGHTS", b"\x01\0\0", unchecked=True) + rights([1, 2, 3, 4]) + rights([1, 2, 3])
                                   + raw("SCM_RIGHTS", b"", unchecked=True) + rights([1]))
    s["refuse-unchecked-structure"] = (init(40) + raw((9, 9), null_len=3, unchecked=True)
                                       + raw((9, 9), huge="INT_MAX", unchecked=True) + raw((9, 9), bytes(17), unchecked=True)
                                       + raw((9, 9), bytes(16), unchecked=True))
    s["extend-unchecked-all-or-nothing"] = big + extend((2, raw_body("IP_TTL", i32(0), unchecked=True)), (2, raw_body("IP_TTL", i32(0))))
    # any other level: copied as it is, every payload length up to 17
    s["raw-every-length"] = big + b"".join(raw((12345, n), bytes(range(n))) for n in range(18))
    s["raw-odd-levels"] = big + raw("-1/-1", b"\x01") + raw("INT_MIN/INT_MAX", b"\x02" * 7)
    s["raw-null-empty"] = big + raw((0x55, 1), null_len=0)
    s["refuse-null-data"] = big + raw((0x55, 1), null_len=5) + raw((0x55, 1), huge="SIZE_MAX", null=True)
    # sizes: EOVERFLOW, and which check comes first
    s["refuse-overflow-payload"] = (big + raw((9, 9), huge="INT_MAX") + raw((9, 9), huge="INT_MAX+1")
                                    + raw((9, 9), huge="SIZE_MAX") + raw((9, 9), huge="BIGGEST_FIT+1"))
    s["nospace-biggest-fit"] = big + raw((9, 9), huge="BIGGEST_FIT") + raw("IPV6_PKTINFO", huge="BIGGEST_FIT")
    s["refuse-overflow-total"] = big + raw((9, 9), huge="BIGGEST_FIT-64") + raw((9, 9), bytes(64)) + raw((9, 9), huge="BIGGEST_FIT-64")
    s["ipv6-header-rules-on-huge-lengths"] = (big + raw("IPV6_HOPOPTS", huge="BIGGEST_FIT") + raw("IPV6_RTHDR", huge="BIGGEST_FIT")
                                              + raw("IPV6_FLOWINFO", huge="BIGGEST_FIT") + raw("IPV6_DSTOPTS", huge="INT_MAX"))
    s["refuse-rights-before-nospace"] = big + raw("SCM_RIGHTS", huge="BIGGEST_FIT") + raw("IP_TTL", huge="BIGGEST_FIT")
    # the value constructors (bit 3 of RAW's mode): each kind with a value the kernel takes,
    # one it refuses, and twice
    for kind, good, bad in [("UDP_SEGMENT", 1200, None), ("IP_TOS", 0xB9, 256), ("IPV6_TCLASS", 255, -2),
                            ("IP_TTL", 64, 0), ("IPV6_HOPLIMIT", -1, 256), ("IPV6_DONTFRAG", 1, 2),
                            ("SCM_TXTIME", 0x0123456789ABCDEF, None), ("SO_MARK", 0xDEADBEEF, None),
                            ("SO_PRIORITY", 7, None), ("SO_TIMESTAMPING_OLD", 2, 0x12), ("SCM_TS_OPT_ID", 77, None)]:
        name = "ctor-" + kind.lower().replace("_", "-")
        s[name] = big + typed(kind, good) + clear() + typed(kind, good) + typed(kind, good)
        if bad is not None:
            s["refuse-" + name] = big + typed(kind, bad) + typed(kind, good)
    s["ctor-ip-pktinfo"] = big + typed("IP_PKTINFO", block=bytes(range(12))) + typed("IPV6_PKTINFO", block=bytes(20))
    s["ctor-ipv6-pktinfo"] = big + typed("IPV6_PKTINFO", block=bytes(range(20))) + clear() + typed("IP_PKTINFO", block=bytes(12))
    s["ctor-field-pairs"] = (big + typed("IP_TOS", 0) + typed("SO_PRIORITY", 1) + clear() + typed("SO_PRIORITY", 1)
                             + typed("IP_TOS", 0) + typed("IP_TTL", 9) + raw("IP_TTL", i32(9)))
    s["ctor-extend-all"] = big + extend(*[(2, typed_body(k, v)) for k, v in [
        ("UDP_SEGMENT", 1400), ("IP_TOS", 1), ("IP_TTL", 2), ("IPV6_TCLASS", 3), ("IPV6_HOPLIMIT", 4),
        ("IPV6_DONTFRAG", 0), ("SCM_TXTIME", 5), ("SO_MARK", 6)]])
    s["ctor-nospace"] = init(16) + typed("UDP_SEGMENT", 1) + init(24) + typed("SCM_TXTIME", 1) + typed("IP_TTL", 1)
    s["held-by-hand"] = (big + typed((12345, 1), 0x0807060504030201, held_len=8) + typed((12345, 2), 1, held_len=0)
                         + typed("IP_TTL", 64, held_len=4) + typed((12345, 3), 1, held_len=9)
                         + typed((12345, 4), 1, held_len=15))
    # extend and clear
    s["extend-three"] = big + extend((0, rights_body([1, 2])), (1, creds_body()), (2, raw_body("IP_TOS", b"\x01")))
    s["extend-none"] = big + extend() + rights([1]) + extend()
    s["refuse-extend-null"] = big + rights([1]) + u8(EXTEND) + u8(0xFF)
    s["refuse-extend-third-bad"] = big + rights([1]) + extend((0, rights_body([2])), (2, raw_body((3, 3), b"x")), (0, rights_body([-1])))
    s["refuse-extend-creds-twice"] = big + extend((1, creds_body()), (1, creds_body()))
    s["refuse-extend-rights-254"] = big + rights(fds(100)) + extend((0, rights_body(fds(100))), (0, rights_body(fds(54))))
    s["clear"] = big + rights([1]) + creds() + clear() + clear() + rights([2]) + creds()
    s["clear-forgets-fds"] = big + rights(fds(253)) + clear() + rights([1])
    s["clear-forgets-once-kinds"] = big + raw("IP_TTL", i32(9)) + clear() + raw("IP_TTL", i32(9))
    return s


# ---- walker_fuzzer --------------------------------------------------------

def hdr(clen, level=1, type_=1):
    return struct.pack("<QII", clen & 0xFFFFFFFFFFFFFFFF, level & 0xFFFFFFFF, type_ & 0xFFFFFFFF)


def msg(payload, level=1, type_=1):
    pad = -len(payload) % 8
    return hdr(16 + len(payload), level, type_) + payload + b"\0" * pad


def edit(step, where, value):
    """After the walk returned header `step`, `value` over the 4 bytes `where` from it."""
    return u8(step) + struct.pack("<b", where) + u32(value)


def walker_seeds():
    one = msg(u32(3))
    creds_msg = msg(creds_body(5, 6, 7), 1, 2)
    s = {}
    s["empty"] = u8(0)
    s["one-message"] = u8(0) + one
    s["two-messages"] = u8(0) + creds_msg + one
    s["header-only-last"] = u8(0) + one + hdr(16)
    s["header-only"] = u8(0) + hdr(16)
    s["misaligned"] = b"".join([u8(1) + one])
    s["misaligned-4"] = u8(4) + one
    s["misaligned-15"] = u8(15) + one
    # edits in the middle of the walk: u8(16 * number of edits + skip), the edits, the bytes
    s["edit-len-past-end"] = u8(0x10) + edit(0, 0, 1000) + one + one
    s["edit-len-zero"] = u8(0x10) + edit(0, 0, 0) + one + one
    s["edit-len-one-past"] = u8(0x10) + edit(1, 0, 49) + one + one + one
    s["edit-len-high-half"] = u8(0x10) + edit(0, 4, 0xFFFFFFFF) + one + one
    s["edit-next-header"] = u8(0x10) + edit(0, 24, 1000) + one + one
    s["edit-len-grows"] = u8(0x20) + edit(0, 0, 40) + edit(1, 0, 24) + one + one + one
    s["len-zero"] = u8(0) + hdr(0) + b"\0" * 8
    s["len-15"] = u8(0) + one + hdr(15)
    s["len-size-max"] = u8(0) + hdr(2**64 - 1) + b"\0" * 16
    s["len-uint32-max"] = u8(0) + one + hdr(2**32 - 1)
    s["len-past-end"] = u8(0) + hdr(40) + b"\0" * 16
    s["short-header"] = u8(0) + one + b"\0" * 8
    s["unpadded-last"] = u8(0) + one + hdr(28, 1, 2) + creds_body()
    s["nonzero-padding"] = u8(0) + hdr(20) + u32(3) + b"\0\0\x01\0"
    s["nonzero-padding-then-bad"] = u8(0) + hdr(20) + u32(3) + b"\x01\0\0\0" + hdr(3)
    s["garbage-after-message"] = u8(0) + one + b"\xff" * 21
    return s


# ---- kernel_roundtrip_fuzzer -----------------------------------------------

K_RIGHTS, K_CREDS, K_RAW, K_CLEAR = range(4)
DGRAM, SEQPACKET, STREAM = range(3)


def k_rights(idx):
    return u8(K_RIGHTS) + u8(len(idx)) + bytes(i & 0xFF for i in idx)


def k_raw(sel, type_, payload, level=None):
    return u8(K_RAW) + u8(sel) + (i32(level) if sel == 3 else b"") + i32(type_) + u8(len(payload)) + payload


def kernel_seeds():
    s = {}
    for name, t in [("dgram", DGRAM), ("seqpacket", SEQPACKET), ("stream", STREAM)]:
        s[name + "-rights-1"] = u8(t) + u8(0) + k_rights([0])
        s[name + "-rights-and-creds"] = u8(t) + u8(3) + u8(K_CREDS) + k_rights([1, 2, 3])
    s["nothing"] = u8(DGRAM) + u8(0)
    s["creds-only"] = u8(DGRAM) + u8(5) + u8(K_CREDS)
    s["creds-twice-refused"] = u8(SEQPACKET) + u8(0) + u8(K_CREDS) + u8(K_CREDS)
    s["rights-253"] = u8(DGRAM) + u8(0) + k_rights([i % 6 for i in range(253)])
    s["rights-253-merged"] = u8(SEQPACKET) + u8(1) + k_rights([0] * 200) + k_rights([5] * 53) + k_rights([4])
    s["rights-254-refused"] = u8(DGRAM) + u8(0) + k_rights([1] * 254) + k_rights([2])
    s["rights-negative-refused"] = u8(STREAM) + u8(0) + k_rights([1, 0x80]) + k_rights([2])
    s["rights-none-refused"] = u8(DGRAM) + u8(0) + k_rights([]) + k_rights([3])
    s["raw-ip-skipped"] = (u8(DGRAM) + u8(0) + k_raw(0, 1, i32(64)) + k_raw(1, 67, i32(1))
                           + k_raw(2, 103, u16(1400)) + k_raw(3, 77, b"abc", level=999) + k_rights([4]))
    s["clear"] = u8(STREAM) + u8(2) + k_rights([1]) + u8(K_CREDS) + u8(K_CLEAR) + k_rights([2])
    # libFuzzer's first minute from an empty corpus: an fd check that counted
    # every fd of the process failed here on the symbolizer's pipes.
    s["regress-engine-fds-60-30"] = b"\x60\x30"
    return s


# ---- recv_parse_fuzzer -----------------------------------------------------

CTRUNC = 0x80
SOL_SOCKET, SCM_RIGHTS, SCM_CREDENTIALS, SCM_PIDFD = 1, 1, 2, 4
# the calls of run() in recv_parse_fuzzer.c, each with a 5-bit argument
R_NEXT, R_TAKE, R_CLEAR, R_ADOPT, R_FIND, R_CREDS, R_NFDS, R_READ = range(8)


def op(call, arg=0):
    return u8(call | arg << 3)


# next with bit 0 of its argument: the walk to its end and a step past
DRAIN = op(R_NEXT, 1)


# take's argument: the array holds the fds the buffer owns, plus arg % 5 - 2
TAKE_EXACT, TAKE_ONE_SHORT, TAKE_ONE_MORE = op(R_TAKE, 2), op(R_TAKE, 1), op(R_TAKE, 3)


def recv(script, control, flags=0):
    assert len(script) < 128, "a script of 127 calls at the most"
    return u8(len(script) | flags) + script + control


def recv_parse_seeds():
    fds = lambda n: b"".join(u32(0) for _ in range(n))  # the fuzzer plants its own
    creds_msg = msg(creds_body(5, 6, 7), SOL_SOCKET, SCM_CREDENTIALS)
    creds_rights = creds_msg + msg(fds(3), SOL_SOCKET, SCM_RIGHTS)
    take_all = op(R_NEXT) + TAKE_EXACT + op(R_NEXT) + TAKE_EXACT + op(R_NEXT) + TAKE_EXACT
    s = {}
    s["empty"] = recv(DRAIN, b"")
    s["rights-1-taken"] = recv(op(R_NEXT) + TAKE_EXACT, msg(fds(1), SOL_SOCKET, SCM_RIGHTS))
    s["rights-1-ignored"] = recv(DRAIN, msg(fds(1), SOL_SOCKET, SCM_RIGHTS))
    s["creds-then-rights-taken"] = recv(take_all + op(R_CREDS), creds_rights)
    s["take-one-short-takes-none"] = recv(op(R_NEXT) + op(R_NEXT) + TAKE_ONE_SHORT + op(R_NFDS), creds_rights)
    s["take-one-more"] = recv(op(R_NEXT) + op(R_NEXT) + TAKE_ONE_MORE + op(R_NFDS), creds_rights)
    s["take-twice"] = recv(op(R_NEXT) + op(R_NEXT) + TAKE_EXACT + TAKE_EXACT + op(R_NFDS), creds_rights)
    s["stop-after-1"] = recv(op(R_NEXT), creds_rights)
    s["clear-twice"] = recv(op(R_NEXT) + op(R_NEXT) + op(R_CLEAR) + op(R_CLEAR), creds_rights)
    s["take-after-clear"] = recv(op(R_NEXT) + op(R_NEXT) + op(R_CLEAR) + TAKE_EXACT, creds_rights)
    s["adopt-again-busy"] = recv(op(R_NEXT) + op(R_NEXT) + TAKE_EXACT + op(R_ADOPT) + DRAIN, creds_rights)
    s["adopt-busy-then-walk-cut-last"] = recv(op(R_ADOPT) + op(R_NEXT), hdr(2**48, SOL_SOCKET, SCM_RIGHTS) + fds(1) + b"\0")
    s["adopt-cleared-bytes"] = recv(op(R_NEXT) + op(R_NEXT) + TAKE_EXACT + op(R_CLEAR) + op(R_ADOPT) + DRAIN
                                    + op(R_NFDS), creds_rights)
    s["receive-again"] = recv(op(R_NEXT) + op(R_CLEAR) + op(R_ADOPT, 1) + op(R_NEXT) + op(R_NEXT) + TAKE_EXACT, creds_rights)
    s["find-rights-then-take"] = recv(op(R_FIND, 1) + TAKE_EXACT + DRAIN, creds_rights)
    s["find-absent"] = recv(op(R_FIND, 16 | 3), creds_rights)
    s["creds-wrong-length"] = recv(op(R_CREDS), msg(b"\0" * 8, SOL_SOCKET, SCM_CREDENTIALS))
    s["creds-rights-pidfd"] = recv(DRAIN + op(R_FIND, 2) + TAKE_EXACT,
                                   creds_msg + msg(fds(2), SOL_SOCKET, SCM_RIGHTS) + msg(fds(1), SOL_SOCKET, SCM_PIDFD))
    s["stop-before-any"] = recv(b"", msg(fds(2), SOL_SOCKET, SCM_RIGHTS) + msg(fds(1), SOL_SOCKET, SCM_PIDFD))
    s["truncated-cut-by-linux"] = recv(op(R_NEXT) + TAKE_EXACT, hdr(24, SOL_SOCKET, SCM_RIGHTS) + fds(2), CTRUNC)
    s["len-past-end-clamped"] = recv(op(R_NEXT) + TAKE_EXACT, hdr(48, SOL_SOCKET, SCM_RIGHTS) + fds(2), CTRUNC)
    s["len-past-end-clamped-stop"] = recv(b"", creds_msg + hdr(2**32 - 1, SOL_SOCKET, SCM_RIGHTS) + fds(3))
    s["len-past-end-clamped-found"] = recv(op(R_FIND, 1) + TAKE_EXACT, creds_msg + hdr(2**32 - 1, SOL_SOCKET, SCM_RIGHTS) + fds(3))
    s["len-size-max-second"] = recv(take_all, msg(fds(1), SOL_SOCKET, SCM_RIGHTS) + hdr(2**64 - 1, SOL_SOCKET, SCM_RIGHTS) + fds(2))
    s["rights-6-bytes"] = recv(op(R_NEXT) + TAKE_EXACT, hdr(22, SOL_SOCKET, SCM_RIGHTS) + fds(1) + b"\xff\xff" + b"\0\0")
    s["rights-6-bytes-cleared"] = recv(b"", hdr(22, SOL_SOCKET, SCM_RIGHTS) + fds(1) + b"\xff\xff" + b"\0\0")
    s["rights-unpadded-last"] = recv(take_all, creds_msg + hdr(20, SOL_SOCKET, SCM_RIGHTS) + fds(1))
    s["unknown-kinds"] = recv(take_all, msg(b"hello", 0x7777, 9) + msg(b"", SOL_SOCKET, 0x55) + msg(fds(1), SOL_SOCKET, SCM_RIGHTS))
    s["len-too-small-ends-walk"] = recv(DRAIN, msg(fds(1), SOL_SOCKET, SCM_RIGHTS) + hdr(15) + fds(2))
    s["short-header-after"] = recv(DRAIN, msg(fds(1), SOL_SOCKET, SCM_RIGHTS) + b"\0" * 8)
    s["garbage"] = recv(DRAIN, b"\xff" * 40)
    return s


# readers[] in recv_parse_fuzzer.c, in order; read's argument names one (bit 4: a NULL offender)
READERS = ["ip_pktinfo", "ipv6_pktinfo", "ip_tos", "ipv6_tclass", "ip_ttl", "ipv6_hoplimit", "udp_gro",
           "timestamp", "timestamping", "ip_recverr", "ipv6_recverr", "rxq_ovfl", "ip_origdstaddr",
           "ipv6_origdstaddr"]
NULL_OFFENDER = 16
IPPROTO_IP, IPPROTO_IPV6, IPPROTO_UDP = 0, 41, 17


def read(reader, null_offender=False):
    return op(R_READ, READERS.index(reader) | (NULL_OFFENDER if null_offender else 0))


# every reader, and the recverr ones with a NULL offender too
READ_ALL = b"".join(read(r) for r in READERS) + read("ip_recverr", True) + read("ipv6_recverr", True)


def q(v):
    return struct.pack("<q", v)


def stamps(pairs):
    """(seconds, fraction) pairs as the kernel's 64-bit numbers."""
    return b"".join(q(sec) + q(frac) for sec, frac in pairs)


# (reader, level, type, payload of the kernel's exact size) for each kind a reader takes
SECOND, NANO = 10**6, 10**9
READ_KINDS = [
    ("ip-pktinfo", "ip_pktinfo", IPPROTO_IP, 8, bytes(range(1, 13))),
    ("ipv6-pktinfo", "ipv6_pktinfo", IPPROTO_IPV6, 50, bytes(range(1, 21))),
    ("ip-tos", "ip_tos", IPPROTO_IP, 1, b"\xb9"),
    ("ipv6-tclass", "ipv6_tclass", IPPROTO_IPV6, 67, i32(0xB9)),
    ("ip-ttl", "ip_ttl", IPPROTO_IP, 2, i32(64)),
    ("ipv6-hoplimit", "ipv6_hoplimit", IPPROTO_IPV6, 52, i32(255)),
    ("udp-gro", "udp_gro", IPPROTO_UDP, 104, i32(1200)),
    ("timestamp-old", "timestamp", SOL_SOCKET, 29, stamps([(1700000000, SECOND - 1)])),
    ("timestamp-new", "timestamp", SOL_SOCKET, 63, stamps([(-1, 1)])),
    ("timestampns-old", "timestamp", SOL_SOCKET, 35, stamps([(2**40, NANO - 1)])),
    ("timestampns-new", "timestamp", SOL_SOCKET, 64, stamps([(-(2**63), 123456789)])),
    ("timestamping-old", "timestamping", SOL_SOCKET, 37, stamps([(1700000000, 5), (0, 0), (2**62, NANO - 1)])),
    ("timestamping-new", "timestamping", SOL_SOCKET, 65, stamps([(0, 0), (0, 0), (1700000001, 999)])),
    ("ip-recverr", "ip_recverr", IPPROTO_IP, 11, bytes(range(1, 33))),
    ("ipv6-recverr", "ipv6_recverr", IPPROTO_IPV6, 25, bytes(range(1, 45))),
    ("rxq-ovfl", "rxq_ovfl", SOL_SOCKET, 40, u32(0xFFFFFFFF)),
    ("ip-origdstaddr", "ip_origdstaddr", IPPROTO_IP, 20, bytes(range(1, 17))),
    ("ipv6-origdstaddr", "ipv6_origdstaddr", IPPROTO_IPV6, 74, bytes(range(1, 29))),
]


def read_seeds():
    """Each kind: the exact size, read by every reader; then a byte short, a byte long and at another level."""
    s = {}
    for name, reader, level, type_, good in READ_KINDS:
        other = IPPROTO_IPV6 if level == IPPROTO_IP else IPPROTO_IP
        cases = [good, good[:-1], good + b"\x77", (good, other)]
        if name == "ip-tos":
            cases.append(i32(0xB9))  # the send form, an int: not what the kernel sends
        if name.startswith("timestamp"):
            n = len(good) // 16
            per_second = SECOND if name.startswith("timestamp-") else NANO
            # one fraction out of its range: the last, then the first
            cases.append(good[:-8] + q(per_second))
            cases.append(good[:8] + q(-1) + good[16:])
            if n == 3:
                cases.append(stamps([(1, 1), (2, NANO), (3, 3)]))
        refused = b"".join(msg(c[0], c[1], type_) if isinstance(c, tuple) else msg(c, level, type_) for c in cases[1:])
        own = read(reader) + (read(reader, True) if reader.endswith("recverr") else b"")
        s["read-" + name] = recv(op(R_NEXT) + READ_ALL, msg(good, level, type_))
        s["read-" + name + "-refused"] = recv((op(R_NEXT) + own) * (len(cases) - 1), refused)
    # the message a find gave; the last one cut short by cmsg_len, and one unpadded
    mixed = (msg(bytes(range(1, 13)), IPPROTO_IP, 8) + msg(b"\x2e", IPPROTO_IP, 1) + msg(i32(9), IPPROTO_IP, 2)
             + msg(bytes(range(1, 33)), IPPROTO_IP, 11))
    s["read-found"] = recv(op(R_FIND, 2) + read("ip_ttl") + op(R_FIND, 0) + read("ip_pktinfo") + op(R_FIND, 3)
                           + read("ip_recverr") + op(R_FIND, 1) + read("ip_tos") + read("ip_ttl") + op(R_FIND, 3)
                           + read("ip_recverr", True), mixed)
    s["read-after-clear"] = recv(op(R_NEXT) + op(R_CLEAR) + read("ip_pktinfo") + read("ip_tos"), mixed)
    s["read-clamped-last"] = recv(op(R_NEXT) + op(R_NEXT) + read("ip_ttl") + read("ip_tos"),
                                  msg(b"\x01", IPPROTO_IP, 1) + hdr(2**32 - 1, IPPROTO_IP, 2) + i32(64), CTRUNC)
    s["read-unpadded-last"] = recv(op(R_NEXT) + op(R_NEXT) + read("ip_tos") + read("ip_ttl"),
                                   msg(i32(3), IPPROTO_IP, 2) + hdr(17, IPPROTO_IP, 1) + b"\xfc")
    s["read-before-any"] = recv(read("ip_pktinfo") + DRAIN + read("ip_tos"), msg(b"\x01", IPPROTO_IP, 1))
    return s


def write(target, seeds):
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(seeds)} seeds in {os.path.relpath(d)}", file=sys.stderr)


if __name__ == "__main__":
    write("send_ops_fuzzer", send_ops_seeds())
    write("walker_fuzzer", walker_seeds())
    write("kernel_roundtrip_fuzzer", kernel_seeds())
    write("recv_parse_fuzzer", {**recv_parse_seeds(), **read_seeds()})
