"""A tiny authoritative DNS server on loopback UDP that answers TXT queries from a dict, so that
`gatehouse serve` can verify a domain during the SDK tests (its `[dns] resolver` points here)."""

import socket
import struct
import threading


class TxtServer:
    def __init__(self):
        self.records = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def set(self, name, values):
        self.records[name.lower().rstrip(".")] = list(values)

    def _serve(self):
        while True:
            try:
                data, addr = self.sock.recvfrom(512)
            except OSError:
                return
            try:
                self.sock.sendto(self._answer(data), addr)
            except Exception:  # a malformed query gets no answer
                pass

    def _answer(self, query):
        ident, _flags, qdcount = struct.unpack(">HHH", query[:6])
        pos, labels = 12, []
        while query[pos] != 0:
            length = query[pos]
            labels.append(query[pos + 1 : pos + 1 + length].decode("ascii"))
            pos += 1 + length
        question_end = pos + 5
        qtype = struct.unpack(">H", query[pos + 1 : pos + 3])[0]
        name = ".".join(labels).lower()
        values = self.records.get(name, []) if qtype == 16 else []
        rcode = 0 if name in self.records else 3
        header = struct.pack(">HHHHHH", ident, 0x8400 | rcode, qdcount, len(values), 0, 0)
        answers = b""
        for value in values:
            raw = value.encode()
            rdata = b"".join(bytes([len(raw[i : i + 255])]) + raw[i : i + 255] for i in range(0, len(raw), 255))
            answers += struct.pack(">HHHIH", 0xC00C, 16, 1, 60, len(rdata)) + rdata
        return header + query[12:question_end] + answers
