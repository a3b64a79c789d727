#!/usr/bin/env python3
"""fleet's unit hash, computed outside archcore's code, to pin UnitFile.hash and FleetSimulator.

fleet 1.0.0 (unit/unit.go) hashes a unit as SHA-1 of go-systemd's unit.Serialize(options); fleetctl gets the
options from unit.Deserialize(text). Both are reimplemented here from the go-systemd copy fleet v1.0.0 vendors
(vendor/github.com/coreos/go-systemd/unit/{serialize,deserialize}.go, go-systemd efa0506b), including the
bufio.Reader (4096-byte buffer) that decides when Deserialize's 2048-byte line check runs: fleet's API runs
Deserialize(Serialize(options)) on every new unit and answers 400 with its error.

Usage: python3 fleet_unit_hash.py units.json > hashes.json
units.json: [{"id": ..., "options": [{"section","name","value"}...]} or {"id": ..., "text": "..."}]
Output: [{"id", "options" (as hashed), "serialized", "hash"} or {"id", "error"}]. Standard library only.
"""
import hashlib
import json
import sys

LINE_MAX = 2048  # SYSTEMD_LINE_MAX
BUF_SIZE = 4096  # bufio.defaultBufSize


def serialize(opts):
    """go-systemd unit.Serialize: sections in first-seen order, options grouped under them in supplied order,
    a blank line between sections, every line ending in \\n; nothing for no options."""
    if not opts:
        return ""
    idx, sections = {}, []
    for o in opts:
        if o["section"] not in idx:
            sections.append(o["section"])
            idx[o["section"]] = []
        idx[o["section"]].append(o)
    out = []
    for i, sect in enumerate(sections):
        out.append("[" + sect + "]\n")
        for o in idx[sect]:
            out.append(o["name"] + "=" + o["value"] + "\n")
        if i < len(sections) - 1:
            out.append("\n")
    return "".join(out)


class Reader:
    """bufio.Reader over a bytes.Buffer, tracking only what Deserialize observes: positions r and w of the
    buffered window, filled as fill(), ReadRune, ReadSlice and Peek do."""

    def __init__(self, data):
        self.data, self.r, self.w, self.eof, self.last = data, 0, 0, False, -1

    def buffered(self):
        return self.w - self.r

    def fill(self):
        n = min(len(self.data), self.r + BUF_SIZE) - self.w
        if n <= 0:
            self.eof = True  # bytes.Buffer.Read: 0, io.EOF
        self.w += max(n, 0)

    def read_rune(self):
        # ASCII and whole UTF-8 runes: a fill only when nothing is buffered
        while self.r == self.w and not self.eof:
            self.fill()
        if self.r == self.w:
            self.last = -1
            return None
        b = self.data[self.r]
        size = 1 if b < 0x80 else 2 if b < 0xE0 else 3 if b < 0xF0 else 4
        while self.w - self.r < size and not self.eof:
            self.fill()
        size = min(size, self.w - self.r)
        rune = self.data[self.r:self.r + size].decode("utf-8", errors="replace")
        self.r += size
        self.last = size
        return rune

    def unread_rune(self):
        self.r -= self.last
        self.last = -1

    def read_bytes(self, delim):
        """ReadBytes: (data, hit_eof)."""
        out = bytearray()
        while True:
            i = self.data.find(delim, self.r, self.w)
            if i >= 0:
                out += self.data[self.r:i + 1]
                self.r = i + 1
                return bytes(out), False
            if self.eof:
                out += self.data[self.r:self.w]
                self.r = self.w
                return bytes(out), True
            if self.w - self.r >= BUF_SIZE:  # ErrBufferFull: ReadBytes keeps the chunk and goes on
                out += self.data[self.r:self.w]
                self.r = self.w
                continue
            self.fill()

    def peek(self, n):
        while self.w - self.r < n and self.w - self.r < BUF_SIZE and not self.eof:
            self.fill()
        return self.data[self.r:self.r + n]


class DeserializeError(Exception):
    pass


# unicode.IsSpace
GO_SPACE = (" \t\n\r\v\f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u2028\u2029\u202f\u205f\u3000")


def is_space(c):
    return c in GO_SPACE


def go_trim_space(b):
    """bytes.TrimSpace / strings.TrimSpace, as text."""
    return b.decode("utf-8", errors="replace").strip(GO_SPACE)


def deserialize(text):
    """go-systemd unit.Deserialize, step for step (lexer states as closures there, as tuples here)."""
    rd = Reader(text.encode("utf-8"))
    opts = []

    def to_eol_go():
        # toEOL: TrimSuffix "\r", then TrimSuffix "\n" (so "x\r\n" keeps its "\r")
        line, eof = rd.read_bytes(b"\n")
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.endswith(b"\n"):
            line = line[:-1]
        return line, eof

    step = ("next_section",)
    while step is not None:
        if rd.buffered() >= LINE_MAX:
            line = rd.peek(LINE_MAX)
            if b"\r" not in line and b"\n" not in line:
                raise DeserializeError("line too long (max %d bytes)" % LINE_MAX)
        kind = step[0]
        if kind == "next_section":
            r = rd.read_rune()
            if r is None:
                step = None
            elif r == "[":
                step = ("section_name",)
            elif r in "#;":
                step = ("ignore_line", ("next_section",))
            else:
                step = ("next_section",)
        elif kind == "section_name":
            sec, eof = rd.read_bytes(b"]")
            if eof:
                raise DeserializeError("unable to find end of section")
            step = ("section_suffix", sec[:-1].decode("utf-8", errors="replace"))
        elif kind == "section_suffix":
            garbage, _ = to_eol_go()
            if go_trim_space(garbage):
                raise DeserializeError("found garbage after section name : %s"
                                       % ("[" + " ".join(str(b) for b in garbage.strip()) + "]"))
            step = ("section_or_option", step[1])
        elif kind == "ignore_line":
            while True:
                line, _ = to_eol_go()
                if line.endswith(b" "):  # TrimSuffix: one space
                    line = line[:-1]
                if not line.endswith(b"\\"):
                    break
            step = step[1]
        elif kind == "section_or_option":
            section = step[1]
            r = rd.read_rune()
            if r is None:
                step = None
            elif is_space(r):
                step = ("section_or_option", section)
            elif r == "[":
                step = ("section_name",)
            elif r in "#;":
                step = ("ignore_line", ("section_or_option", section))
            else:
                rd.unread_rune()
                step = ("option_name", section)
        elif kind == "option_name":
            section = step[1]
            partial = []
            while True:
                r = rd.read_rune()
                if r is None:
                    raise DeserializeError("EOF")
                if r in "\r\n":
                    raise DeserializeError("unexpected newline encountered while parsing option name")
                if r == "=":
                    break
                partial.append(r)
            step = ("option_value", section, "".join(partial).strip(), b"")
        elif kind == "option_value":
            _, section, name, partial = step
            line, eof = to_eol_go()
            cont = False
            if go_trim_space(line):
                partial += line
                if line.endswith(b"\\"):
                    if not eof:
                        partial += b"\n"
                    step = ("option_value", section, name, partial)
                    cont = True
            if not cont:
                val = partial.decode("utf-8", errors="replace")
                if val.endswith("\n"):
                    val = go_trim_space(partial) + "\n"
                else:
                    val = go_trim_space(partial)
                opts.append({"section": section, "name": name, "value": val})
                step = ("section_or_option", section)
    return opts


def fleet_hash(opts):
    return hashlib.sha1(serialize(opts).encode("utf-8")).hexdigest()


def main():
    cases = json.load(open(sys.argv[1], encoding="utf-8"))
    out = []
    for case in cases:
        try:
            opts = deserialize(case["text"]) if "text" in case else case["options"]
            # what fleet's API checks before it accepts a new unit (api/units.go ValidateOptions)
            deserialize(serialize(opts))
            out.append({"id": case["id"], "options": opts, "serialized": serialize(opts), "hash": fleet_hash(opts)})
        except DeserializeError as e:
            out.append({"id": case["id"], "error": str(e)})
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
