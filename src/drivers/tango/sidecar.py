"""labrig's Tango sidecar: one PyTango DeviceProxy driven by lines over stdio (or two FIFOs).

Started by sidecar.ts with Debian's /usr/bin/python3 (python3-tango). Protocol (one request or
reply per line, UTF-8):

  first line out:      {"ready": true, "pytango": "9.3.6"}
  request (JSON):      {"id": N, "op": OP, "timeoutMs": T, ...arguments}
  request (compact):   r N T NAME        read the one attribute NAME (same as op read, names [NAME])
                       R N T NAME        the same, and the client is busy-waiting: with FIFOs,
                                         busy-poll for the next request (SPIN_S) before sleeping
  reply:               {"id": N, "ok": true, "result": ...}
                       {"id": N, "ok": false, "error": {"kind": "DevFailed", "levels": [...]}}
                       {"id": N, "ok": false, "error": {"kind": "Python", "type": ..., "message": ...}}
  event:               {"ev": SUB, "r": READING} or {"ev": SUB, "error": ERROR}

OPs: connect(address), read(names), write(name, value), command(name, arg, hasArg), state,
status, subscribe(attr, sub), unsubscribe(sub), ping. Requests run one at a time, in order; each
sets the proxy's timeout to its own timeoutMs. A READING is
{"n": name, "v": value, "t": seconds, "q": quality, "ty": type, "f": format, "sh": shape}: scalars
as JSON values, arrays flattened row-major with their shape, 64-bit integers in arrays as decimal
strings, non-finite floats as the strings "NaN", "Infinity", "-Infinity". The compact read is the
hot path of sequential reads: no JSON decode, and a scalar's reply is formatted straight from the
DeviceAttribute (same JSON as the general encoder).

Transport: stdin/stdout by default. With `--fifo DIR` the process makes DIR/req and DIR/rep
(named pipes), says ready on stdout, then reads requests from DIR/req and writes everything else
to DIR/rep (on Linux a pipe round trip is cheaper than the socketpair Node gives a child's
stdio); stdin stays the lifeline. Either way EOF on stdin (or the line `q`) ends the process (os._exit, so no
cppTango destructor runs at interpreter exit). Every reply or event is one os.write under a lock.
"""
import json
import math
import os
import select
import sys
import threading
import time

import numpy
import tango

OUT_FD = 1
LOCK = threading.Lock()
NOT_SPEC = ("Not specified", "", None)


def write_all(data):
    view = memoryview(data)
    with LOCK:
        while view:
            view = view[os.write(OUT_FD, view):]


def send(obj):
    write_all((json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n").encode())


def fnum(x):
    x = float(x)
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


INT64 = (tango.CmdArgType.DevLong64, tango.CmdArgType.DevULong64)
FLOATS = (tango.CmdArgType.DevDouble, tango.CmdArgType.DevFloat)


def enc_array(arr, ty):
    a = numpy.asarray(arr)
    if ty in INT64:
        return [str(int(x)) for x in a.ravel()]
    if ty in FLOATS:
        flat = a.ravel()
        if numpy.isfinite(flat).all():
            return flat.tolist()
        return [fnum(x) for x in flat]
    if a.dtype.kind in "US" or ty == tango.CmdArgType.DevString:
        return [str(x) for x in (a.ravel() if a.dtype != object else numpy.array(arr, dtype=object).ravel())]
    return a.ravel().tolist()


def enc_scalar(v, ty):
    if ty == tango.CmdArgType.DevState:
        return str(v)
    if ty in FLOATS:
        return fnum(v)
    if isinstance(v, numpy.generic):
        return v.item()
    if isinstance(v, bytes):
        return v.decode("latin-1")
    return v


def enc_reading(a):
    ty = a.type
    fmt = a.data_format
    q = str(a.quality)
    ts = a.time.totime()
    if a.has_failed or a.value is None or q == "ATTR_INVALID":
        return {"n": a.name, "v": None, "t": ts, "q": q, "ty": str(ty), "f": str(fmt), "sh": []}
    if fmt == tango.AttrDataFormat.SCALAR:
        out = {"n": a.name, "v": enc_scalar(a.value, ty), "t": ts, "q": q, "ty": str(ty), "f": "SCALAR", "sh": []}
        if a.w_value is not None:
            out["w"] = enc_scalar(a.w_value, ty)
        return out
    image = fmt == tango.AttrDataFormat.IMAGE
    shape = [a.dim_y, a.dim_x] if image else [a.dim_x]
    out = {"n": a.name, "v": enc_any_array(a.value, ty, image), "t": ts, "q": q, "ty": str(ty), "f": str(fmt), "sh": shape}
    if a.w_value is not None and (a.w_dim_x > 0):
        out["w"] = enc_any_array(a.w_value, ty, image)
        out["wsh"] = [a.w_dim_y, a.w_dim_x] if image else [a.w_dim_x]
    return out


T = tango.CmdArgType
SCALAR = tango.AttrDataFormat.SCALAR
QNAME = {q: str(q) for q in tango.AttrQuality.values.values()}
INVALID = tango.AttrQuality.ATTR_INVALID


def jfloat(x):
    x = float(x)
    if x - x == 0:  # finite
        return repr(x)
    return '"NaN"' if x != x else ('"Infinity"' if x > 0 else '"-Infinity"')


def jint(x):
    return str(int(x))


def jbool(x):
    return "true" if x else "false"


def jstr(x):
    return json.dumps(x.decode("latin-1") if isinstance(x, bytes) else x)


# Scalar types whose value the fast reply formats itself: type → (JSON of the type name, encoder).
FAST = {ty: ('"%s"' % ty, enc) for ty, enc in (
    (T.DevDouble, jfloat), (T.DevFloat, jfloat),
    (T.DevShort, jint), (T.DevUShort, jint), (T.DevLong, jint), (T.DevULong, jint), (T.DevLong64, jint),
    (T.DevULong64, jint), (T.DevUChar, jint), (T.DevBoolean, jbool), (T.DevString, jstr))}
FAST[T.DevState] = ('"DevState"', lambda v: '"%s"' % v)
NAMES = {}  # attribute name → (its JSON string, whether it is a scalar): formats do not change at run time


def read_reply(rid, a):
    """The reply line (bytes) of a one-attribute read: formatted directly for a valid scalar of a
    FAST type, through enc_reading and json.dumps for anything else."""
    fast = FAST.get(a.type)
    v = a.value
    name = a.name
    known = NAMES.get(name)
    if known is None:
        known = NAMES[name] = (json.dumps(name), a.data_format == SCALAR)
    q = a.quality
    if fast is None or not known[1] or v is None or q == INVALID:
        return (json.dumps({"id": rid, "ok": True, "result": [enc_reading(a)]}, separators=(",", ":"), allow_nan=False) + "\n").encode()
    ty, enc = fast
    w = a.w_value
    return ('{"id":%d,"ok":true,"result":[{"n":%s,"v":%s,"t":%s,"q":"%s","ty":%s,"f":"SCALAR","sh":[]%s}]}\n' % (
        rid, known[0], enc(v), jfloat(a.time.totime()), QNAME[q], ty, "" if w is None else ',"w":' + enc(w))).encode()


def enc_any_array(v, ty, image):
    if ty == tango.CmdArgType.DevString:
        flat = [s for row in v for s in row] if image else list(v)
        return [str(s) for s in flat]
    return enc_array(v, ty)


def enc_error(e):
    if isinstance(e, tango.DevFailed):
        return {"kind": "DevFailed", "levels": [
            {"reason": x.reason, "desc": x.desc, "origin": x.origin, "severity": str(x.severity)} for x in e.args]}
    return {"kind": "Python", "type": type(e).__name__, "message": str(e)}


def enc_errors(errs):
    return {"kind": "DevFailed", "levels": [
        {"reason": x.reason, "desc": x.desc, "origin": x.origin, "severity": str(x.severity)} for x in errs]}


def opt_num(s):
    if s in NOT_SPEC:
        return None
    try:
        return float(s)
    except ValueError:
        return None


def describe(dev):
    attrs = []
    for a in dev.attribute_list_query_ex():
        d = {
            "name": a.name,
            "dataType": str(tango.CmdArgType.values[a.data_type]),
            "format": str(a.data_format),
            "writable": str(a.writable),
            "unit": "" if a.unit in ("No unit",) else a.unit,
            "label": a.label,
            "description": "" if a.description == "No description" else a.description,
            "displayFormat": a.format,
            "maxDimX": a.max_dim_x,
            "maxDimY": a.max_dim_y,
        }
        for key, val in (("minValue", a.min_value), ("maxValue", a.max_value), ("minAlarm", a.alarms.min_alarm),
                         ("maxAlarm", a.alarms.max_alarm), ("minWarning", a.alarms.min_warning),
                         ("maxWarning", a.alarms.max_warning)):
            n = opt_num(val)
            if n is not None and math.isfinite(n):
                d[key] = n
        labels = list(getattr(a, "enum_labels", []) or [])
        if labels:
            d["enumLabels"] = labels
        attrs.append(d)
    cmds = [{"name": c.cmd_name, "inType": str(c.in_type), "outType": str(c.out_type),
             "inDescription": c.in_type_desc, "outDescription": c.out_type_desc} for c in dev.command_list_query()]
    return {"name": dev.dev_name(), "className": dev.info().dev_class, "attributes": attrs, "commands": cmds}


def dec_write(value, fmt):
    """JSON value → what write_attribute accepts ({shape, data} → nested list for images)."""
    if isinstance(value, dict) and "data" in value:
        data = value["data"]
        shape = value.get("shape") or [len(data)]
        if fmt == tango.AttrDataFormat.IMAGE and len(shape) == 2:
            rows, cols = shape
            return [data[r * cols:(r + 1) * cols] for r in range(rows)]
        return data
    return value


def parse_num(x):
    if isinstance(x, str):
        return float(x) if x in ("NaN", "Infinity", "-Infinity") else int(x)
    return x


def enc_cmd_result(v, ty):
    if v is None or ty == tango.CmdArgType.DevVoid:
        return None
    if ty in (tango.CmdArgType.DevVarLongStringArray, tango.CmdArgType.DevVarDoubleStringArray):
        nums, strs = v
        conv = fnum if ty == tango.CmdArgType.DevVarDoubleStringArray else int
        return {"numbers": [conv(x) for x in nums], "strings": [str(s) for s in strs]}
    if ty == tango.CmdArgType.DevVarStringArray:
        return [str(s) for s in v]
    if ty == tango.CmdArgType.DevVarBooleanArray:
        return [bool(x) for x in v]
    name = str(ty)
    if name.startswith("DevVar"):
        elem = {"DevVarLong64Array": tango.CmdArgType.DevLong64, "DevVarULong64Array": tango.CmdArgType.DevULong64,
                "DevVarDoubleArray": tango.CmdArgType.DevDouble, "DevVarFloatArray": tango.CmdArgType.DevFloat}.get(name)
        return enc_array(v, elem)
    return enc_scalar(v, ty)


def dec_cmd_arg(arg, ty):
    if ty in (tango.CmdArgType.DevVarLongStringArray, tango.CmdArgType.DevVarDoubleStringArray):
        return [[parse_num(x) for x in arg["numbers"]], arg["strings"]]
    if isinstance(arg, dict) and "data" in arg:
        arg = arg["data"]
    if ty in (tango.CmdArgType.DevVarLong64Array, tango.CmdArgType.DevVarULong64Array, tango.CmdArgType.DevLong64,
              tango.CmdArgType.DevULong64):
        return [parse_num(x) for x in arg] if isinstance(arg, list) else parse_num(arg)
    if ty in (tango.CmdArgType.DevDouble, tango.CmdArgType.DevFloat) and isinstance(arg, str):
        return float(arg)
    if ty in (tango.CmdArgType.DevVarDoubleArray, tango.CmdArgType.DevVarFloatArray):
        return [float(x) for x in arg]
    return arg


class Sidecar:
    def __init__(self):
        self.dev = None
        self.timeout = None
        self.timeout_raw = None  # the compact read's last TIMEOUT field (bytes), while it is the proxy's
        self.subs = {}
        self.formats = {}
        self.cmds = {}

    def set_timeout(self, ms):
        # The caller's timer is the one that fires (TimeoutError); the proxy waits a little longer
        # so that a late reply is dropped by the caller instead of racing it.
        self.timeout_raw = None
        if ms and ms != self.timeout and self.dev is not None:
            self.dev.set_timeout_millis(int(ms) + 500)
            self.timeout = ms

    def op_connect(self, req):
        self.dev = tango.DeviceProxy(req["address"])
        self.timeout = None
        self.set_timeout(req.get("timeoutMs"))
        info = describe(self.dev)
        self.formats = {a["name"].lower(): a["format"] for a in info["attributes"]}
        self.cmds = {c.cmd_name.lower(): c for c in self.dev.command_list_query()}
        return info

    def op_read(self, req):
        names = req["names"]
        if len(names) == 1:
            return [enc_reading(self.dev.read_attribute(names[0]))]
        return [enc_reading(a) for a in self.dev.read_attributes(names)]

    def op_write(self, req):
        fmt = self.formats.get(req["name"].lower())
        f = tango.AttrDataFormat.IMAGE if fmt == "IMAGE" else None
        self.dev.write_attribute(req["name"], dec_write(req["value"], f))
        return None

    def op_command(self, req):
        name = req["name"]
        info = self.cmds.get(name.lower())
        if info is None:
            info = self.dev.command_query(name)
        if req.get("hasArg"):
            out = self.dev.command_inout(name, dec_cmd_arg(req["arg"], info.in_type))
        else:
            out = self.dev.command_inout(name)
        return enc_cmd_result(out, info.out_type)

    def op_state(self, req):
        return str(self.dev.state())

    def op_status(self, req):
        return self.dev.status()

    def op_ping(self, req):
        return self.dev.ping() if self.dev is not None else 0

    def op_subscribe(self, req):
        sub = req["sub"]

        def cb(ev, sub=sub):
            try:
                if ev.err:
                    send({"ev": sub, "error": enc_errors(ev.errors)})
                else:
                    send({"ev": sub, "r": enc_reading(ev.attr_value)})
            except Exception as e:  # never let an encoding fault kill the event thread silently
                send({"ev": sub, "error": enc_error(e)})

        eid = self.dev.subscribe_event(req["attr"], tango.EventType.CHANGE_EVENT, cb)
        self.subs[sub] = eid
        return sub

    def op_unsubscribe(self, req):
        eid = self.subs.pop(req["sub"], None)
        if eid is not None:
            self.dev.unsubscribe_event(eid)
        return None


def serve_json(sc, line):
    try:
        req = json.loads(line)
    except ValueError as e:
        send({"id": None, "ok": False, "error": {"kind": "Protocol", "message": str(e)}})
        return
    rid = req.get("id")
    try:
        fn = getattr(sc, "op_" + req.get("op", ""), None)
        if fn is None:
            raise ValueError("unknown op " + repr(req.get("op")))
        if sc.dev is None and req["op"] not in ("connect", "ping"):
            raise ValueError("not connected")
        if req["op"] != "connect":
            sc.set_timeout(req.get("timeoutMs"))
        send({"id": rid, "ok": True, "result": fn(req)})
    except Exception as e:
        send({"id": rid, "ok": False, "error": enc_error(e)})


NUMPY = tango.ExtractAs.Numpy
# After answering `R ...`, how long to busy-poll the request FIFO for the next request before
# sleeping in read(2), s: the client busy-waits for the reply and sends its next read within a
# few µs, and waking a sleeping process costs ~10-20 µs on a small VM (measured: 4-8 µs less per
# read on an idle 2-vCPU guest). Bounded, and only when the client itself busy-waits.
SPIN_S = 0.0001


def serve_read(sc, line):
    """The compact read `r ID TIMEOUT NAME`. Calls DeviceProxy._read_attribute, what
    read_attribute calls through PyTango's green-mode wrapper (~1 µs less per read), and raises
    the same DevFailed for a failed read."""
    rid = None
    try:
        _, rid, ms, name = line.split()
        rid = int(rid)
        if sc.dev is None:
            raise ValueError("not connected")
        if ms != sc.timeout_raw:
            sc.set_timeout(float(ms))
            sc.timeout_raw = ms
        a = sc.dev._read_attribute(name.decode(), NUMPY)
        if a.has_failed:
            raise tango.DevFailed(*a.get_err_stack())
        data = read_reply(rid, a)
        with LOCK:
            n = os.write(OUT_FD, data)
        if n < len(data):
            write_all(data[n:])
    except Exception as e:
        send({"id": rid, "ok": False, "error": enc_error(e)})


def open_fifos(d):
    """Make and open DIR/req and DIR/rep (read-write, so neither open waits for the other side)."""
    global OUT_FD
    req, rep = os.path.join(d, "req"), os.path.join(d, "rep")
    os.mkfifo(req, 0o600)
    os.mkfifo(rep, 0o600)
    fd_in = os.open(req, os.O_RDWR)
    OUT_FD = os.open(rep, os.O_RDWR)

    def lifeline():
        # stdin's EOF (the parent closed it or died) becomes a `q` line for the main loop, which
        # unsubscribes and exits; if the main loop is stuck in a call, exit anyway after 10 s.
        while os.read(0, 4096):
            pass
        os.write(fd_in, b"\nq\n")
        threading.Timer(10, os._exit, (0,)).start()

    threading.Thread(target=lifeline, daemon=True).start()
    return Lines(fd_in)


class Lines:
    """Request lines from the request FIFO (blocking reads, our own buffer so that it is known
    whether a full line is already here); readline(spin) busy-polls the FIFO for up to `spin`
    seconds before a read that would sleep."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b""
        self.poller = select.poll()
        self.poller.register(fd, select.POLLIN)

    def readline(self, spin=0.0):
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line = self.buf[:nl + 1]
                self.buf = self.buf[nl + 1:]
                return line
            if spin:
                end = time.perf_counter() + spin
                poll = self.poller.poll
                while not poll(0) and time.perf_counter() < end:
                    pass
                spin = 0.0
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return b""
            self.buf += chunk


def main():
    sc = Sidecar()
    fifo = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--fifo" else None
    requests = open_fifos(fifo) if fifo else sys.stdin.buffer
    ready = {"ready": True, "pytango": tango.__version__}
    if fifo:
        ready["fifo"] = True
        os.write(1, (json.dumps(ready) + "\n").encode())
    else:
        send(ready)
    spin = 0.0
    while True:
        line = requests.readline(spin) if fifo else requests.readline()
        spin = 0.0
        if not line or line == b"q\n":
            break
        if line == b"\n":
            continue
        if line.startswith(b"r "):
            serve_read(sc, line)
        elif line.startswith(b"R "):
            serve_read(sc, line)
            spin = SPIN_S if fifo else 0.0
        else:
            serve_json(sc, line)
    for eid in list(sc.subs.values()):
        try:
            sc.dev.unsubscribe_event(eid)
        except Exception:
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
