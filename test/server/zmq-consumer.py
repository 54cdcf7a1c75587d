"""A 0MQ document consumer written from bluesky's RemoteDispatcher receive logic (bluesky itself is
not installed here): a SUB socket connects to the address, subscribes to everything, and each
single-part message is split at the first two spaces into prefix, name and the serialized document,
which json.loads decodes. Messages with another prefix are dropped when a prefix is set.

argv: address (tcp://127.0.0.1:PORT), prefix ('' for none), the run md 'purpose' to collect.
Prints 'warm' once any run_start arrives (the publisher then knows the subscription is live),
then one JSON line [name, doc] per document of the run whose start has md purpose == argv[3],
and exits after that run's stop. Gives up after 60 s.
"""
import json
import sys
import time

import zmq

# bluesky.run_engine.DocumentNames (event-model's document names)
DOCUMENT_NAMES = {"start", "stop", "event", "descriptor", "bulk_events", "datum", "resource", "bulk_datum",
                  "event_page", "datum_page", "stream_resource", "stream_datum"}
address, prefix, purpose = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
ctx = zmq.Context()
sock = ctx.socket(zmq.SUB)
sock.connect(address)
sock.setsockopt_string(zmq.SUBSCRIBE, "")
sock.rcvtimeo = 1000
deadline = time.monotonic() + 60
warm = False
run_uid = None
try:
    while time.monotonic() < deadline:
        try:
            message = sock.recv()
        except zmq.Again:
            continue
        msg_prefix, name, raw = message.split(b" ", 2)
        name = name.decode()
        if name not in DOCUMENT_NAMES:  # RemoteDispatcher looks the name up in DocumentNames
            print("unknown document name " + name, flush=True)
            sys.exit(4)
        if prefix and msg_prefix != prefix:
            continue
        doc = json.loads(raw)
        if name == "start" and not warm:
            warm = True
            print("warm", flush=True)
        if name == "start" and doc.get("purpose") == purpose:
            run_uid = doc["uid"]
        if run_uid is None:
            continue
        if name == "start" or doc.get("run_start") == run_uid or name in ("event", "event_page"):
            print(json.dumps([name, doc]), flush=True)
        if name == "stop" and doc.get("run_start") == run_uid:
            sys.exit(0)
    print("timeout", flush=True)
    sys.exit(3)
finally:
    sock.close(0)
    ctx.term()
