"""Write real Outlook .msg files for tests: a Compound File (MS-CFB, version 3) holding the MAPI properties
Outlook writes for a message with attachments (MS-OXMSG), embedded messages (a .msg inside a .msg) included.

Kept in the tests: the tool only reads .msg. Every file made here is also opened by olefile and by
python-oxmsg (tests/test_mail.py), readers written by others, so these are not files only our reader accepts.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
PT_LONG, PT_SYSTIME, PT_UNICODE, PT_BINARY, PT_OBJECT = 0x0003, 0x0040, 0x001F, 0x0102, 0x000D


@dataclass
class Node:
    """A storage (children) or a stream (data) of the compound file."""

    name: str
    data: bytes | None = None
    children: list[Node] = field(default_factory=list)


@dataclass
class MsgAttachment:
    name: str
    data: bytes = b""
    mime: str = "application/octet-stream"
    message: Msg | None = None  # an embedded message (attach method 5) instead of data


@dataclass
class Msg:
    subject: str
    sender: str  # SMTP address
    sent: datetime = datetime(2022, 3, 30, 9, 0, tzinfo=UTC)
    body: str = "Please find our return attached."
    sender_name: str = ""
    attachments: list[MsgAttachment] = field(default_factory=list)


def _filetime(when: datetime) -> int:
    return int((when - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


def _props(fixed: list[tuple[int, int, int]], variable: list[tuple[int, int, bytes]], header: bytes) -> list[Node]:
    """The __properties_version1.0 stream (fixed values inline, variable ones by size) and __substg1.0_ streams."""
    entries = [struct.pack("<IIQ", pid << 16 | ptype, 6, value) for pid, ptype, value in fixed]
    streams = []
    for pid, ptype, data in variable:
        size = len(data) + (2 if ptype == PT_UNICODE else 0)
        entries.append(struct.pack("<IIII", pid << 16 | ptype, 6, size if ptype != PT_OBJECT else 0xFFFFFFFF, 0))
        if ptype != PT_OBJECT:
            streams.append(Node(f"__substg1.0_{pid:04X}{ptype:04X}", data))
    return [Node("__properties_version1.0", header + b"".join(entries)), *streams]


def _text(s: str) -> bytes:
    return s.encode("utf-16-le")


def message_nodes(msg: Msg, top: bool) -> list[Node]:
    """The children of a message's storage: properties, attachments, and (at the top) the named-property map."""
    n = len(msg.attachments)
    header = struct.pack("<8xIIII8x", 0, n, 0, n) if top else struct.pack("<8xIIII", 0, n, 0, n)
    fixed = [(0x0039, PT_SYSTIME, _filetime(msg.sent)), (0x0E06, PT_SYSTIME, _filetime(msg.sent)),
             (0x0E07, PT_LONG, 1), (0x340D, PT_LONG, 0x00040000)]  # read; STORE_UNICODE_OK
    variable = [(0x001A, PT_UNICODE, _text("IPM.Note")), (0x0037, PT_UNICODE, _text(msg.subject)),
                (0x0C1A, PT_UNICODE, _text(msg.sender_name or msg.sender)),
                (0x0C1F, PT_UNICODE, _text(msg.sender)), (0x5D01, PT_UNICODE, _text(msg.sender)),
                (0x0C1E, PT_UNICODE, _text("SMTP")), (0x1000, PT_UNICODE, _text(msg.body))]
    nodes = _props(fixed, variable, header)
    for i, att in enumerate(msg.attachments):
        a_fixed = [(0x0E21, PT_LONG, i), (0x3705, PT_LONG, 5 if att.message else 1), (0x0E20, PT_LONG, len(att.data))]
        ext = "." + att.name.rsplit(".", 1)[-1] if "." in att.name else ""
        a_var = [(0x3001, PT_UNICODE, _text(att.name)), (0x3707, PT_UNICODE, _text(att.name)),
                 (0x3704, PT_UNICODE, _text(att.name[:12])), (0x3703, PT_UNICODE, _text(ext)),
                 (0x370E, PT_UNICODE, _text(att.mime))]
        children = _props(a_fixed, [*a_var, (0x3701, PT_OBJECT if att.message else PT_BINARY, att.data)], b"\0" * 8)
        if att.message is not None:
            children.append(Node("__substg1.0_3701000D", children=message_nodes(att.message, top=False)))
        nodes.append(Node(f"__attach_version1.0_#{i:08X}", children=children))
    if top:
        nodes.append(Node("__nameid_version1.0", children=[Node("__substg1.0_00020102", b""),
                                                           Node("__substg1.0_00030102", b""),
                                                           Node("__substg1.0_00040102", b"")]))
    return nodes


def write_msg(msg: Msg) -> bytes:
    """The bytes of an Outlook .msg file for `msg`."""
    return compound_file(Node("Root Entry", children=message_nodes(msg, top=True)))


def compound_file(root: Node) -> bytes:
    """A version 3 compound file: streams under 4096 bytes in the mini stream, the rest in 512-byte sectors."""
    entries: list[Node] = []

    def number(node: Node) -> None:
        entries.append(node)
        for child in node.children:
            number(child)

    number(root)
    index = {id(n): i for i, n in enumerate(entries)}
    mini = bytearray()
    minifat: list[int] = []
    starts: dict[int, int] = {}
    big: list[tuple[Node, int]] = []  # stream and its first sector, placed below
    for node in entries:
        if node.data is None or node is root:
            continue
        if len(node.data) < CUTOFF:
            if not node.data:
                starts[id(node)] = END
                continue
            first = len(mini) // MINI
            count = -(-len(node.data) // MINI)
            minifat += [*range(first + 1, first + count), END]
            starts[id(node)] = first
            mini += node.data + b"\0" * (count * MINI - len(node.data))
        else:
            big.append((node, 0))
    sectors: list[bytes] = []
    fat: list[int] = []

    def place(data: bytes) -> int:
        if not data:
            return END
        first = len(sectors)
        count = -(-len(data) // SECTOR)
        for i in range(count):
            sectors.append(data[i * SECTOR:(i + 1) * SECTOR].ljust(SECTOR, b"\0"))
        fat.extend([*range(first + 1, first + count), END])
        return first

    for node, _ in big:
        starts[id(node)] = place(node.data or b"")
    root_start = place(bytes(mini))
    minifat_start = place(b"".join(struct.pack("<I", x) for x in minifat)) if minifat else END
    minifat_count = -(-len(minifat) * 4 // SECTOR)
    links: dict[int, tuple[int, int]] = {}
    first_child: dict[int, int] = {}
    for n in entries:
        if n.data is None:
            first_child[index[id(n)]], more = _tree(n.children, index)
            links.update(more)
    directory = b"".join(_entry(n, links.get(i, (NOSTREAM, NOSTREAM)), first_child.get(i, NOSTREAM),
                                starts.get(id(n), 0), root_start, len(mini)) for i, n in enumerate(entries))
    directory += b"\0" * ((-len(directory)) % SECTOR)  # unused entries: empty names, type 0
    dir_start = place(directory)
    fat_count = 1
    while (len(fat) + fat_count) > fat_count * (SECTOR // 4):
        fat_count += 1
    assert fat_count <= 109, "the fixture writer has no DIFAT sectors"
    fat_start = len(sectors)
    fat += [FATSECT] * fat_count
    fat += [FREE] * (fat_count * (SECTOR // 4) - len(fat))
    table = b"".join(struct.pack("<I", x) for x in fat)
    sectors += [table[i * SECTOR:(i + 1) * SECTOR] for i in range(fat_count)]
    difat = [fat_start + i for i in range(fat_count)] + [FREE] * (109 - fat_count)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, fat_count, dir_start, 0, CUTOFF,
                            minifat_start, minifat_count, END, 0)
              + b"".join(struct.pack("<I", x) for x in difat))
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _key(node: Node) -> tuple[int, str]:
    return len(node.name), node.name.upper()  # the order MS-CFB sorts siblings in


def _tree(children: list[Node], index: dict[int, int]) -> tuple[int, dict[int, tuple[int, int]]]:
    """A balanced binary search tree of siblings: (root entry, {entry: (left, right)})."""
    links: dict[int, tuple[int, int]] = {}

    def build(nodes: list[Node]) -> int:
        if not nodes:
            return NOSTREAM
        mid = len(nodes) // 2
        links[index[id(nodes[mid])]] = (build(nodes[:mid]), build(nodes[mid + 1:]))
        return index[id(nodes[mid])]

    return build(sorted(children, key=_key)), links


def _entry(node: Node, siblings: tuple[int, int], child: int, start: int, root_start: int, mini_size: int) -> bytes:
    name = node.name.encode("utf-16-le")
    assert len(name) <= 62, node.name
    if node.name == "Root Entry":
        kind, start, size = 5, root_start if mini_size else END, mini_size
    elif node.data is None:
        kind, start, size = 1, 0, 0
    else:
        kind, size = 2, len(node.data)
    return (name.ljust(64, b"\0") + struct.pack("<HBBIII", len(name) + 2, kind, 1, *siblings, child)
            + b"\0" * 16 + struct.pack("<IQQIQ", 0, 0, 0, start, size))
