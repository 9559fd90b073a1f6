#!/usr/bin/env python3
"""Seeds the fuzz corpus from real data: captured frames and Kafka-written segments.

Each seed is: mode byte, two selector bytes, payload (see Sources/tributary-fuzz/FuzzHarness.swift):
mode 0/1 = request/response body of API (selector 1 = index of the API in ApiKey.allCases, i.e. the API key's
position), version offset; mode 2 = a whole request frame; mode 3 = record batches; mode 5 = a coordinator record
(selector 1 = key length; key then value); mode 6 = a subscription regex and a topic name (selector 1 = pattern
length); 7 = compressed blocks.
"""
import json, os, struct, sys

captures, out = sys.argv[1], sys.argv[2]
n = 0
def put(data):
    global n
    with open(os.path.join(out, f"seed-{n:05d}"), "wb") as f:
        f.write(data)
    n += 1

frames = os.path.join(captures, "frames")
for client in sorted(os.listdir(frames)):
    idx = os.path.join(frames, client, "index.json")
    if not os.path.exists(idx):
        continue
    for e in json.load(open(idx)):
        raw = open(os.path.join(frames, client, e["file"]), "rb").read()
        if e["dir"] == "req":
            put(bytes([2, 0, 0]) + raw)
segs = os.path.join(captures, "log-segments")
for part in sorted(os.listdir(segs)):
    d = os.path.join(segs, part)
    if os.path.isdir(d):
        for f in sorted(os.listdir(d)):
            if f.endswith(".log"):
                data = open(os.path.join(d, f), "rb").read()
                for i in range(0, min(len(data), 1 << 20), 65536):
                    put(bytes([3, 0, 0]) + data[i:i + 65536])
# Coordinator records: the key of each __consumer_offsets record type (group "g", member "m") with a small value.
def kstr(x):
    return struct.pack(">h", len(x)) + x
for t in (0, 1, 2, 3, 4, 5, 6, 7, 8, 16):
    key = struct.pack(">h", t) + kstr(b"g") + (kstr(b"m") if t in (5, 7, 8, 16) else b"") + (kstr(b"t") + struct.pack(">i", 0) if t in (0, 1) else b"")
    put(bytes([5, len(key), 1]) + key + struct.pack(">h", 0) + bytes(16))
for pattern, name in (("orders-.*", "orders-eu"), ("^topic[0-9]+$", "topic42"), ("(a+)+$", "aaaab"),
                      ("[[:alpha:]_.-]{1,3}|x(?i:Y)", "xy"), ("\\Qa.b\\E\\d\\w\\s\\p{Lu}", "a.b1_ Q")):
    put(bytes([6, len(pattern.encode()), 0]) + pattern.encode() + name.encode())
print(f"fuzz seed: {n} inputs")
