"""labrig's Tango event server: a small PyTango device (class LabrigEvents) that pushes change
events by itself, so events work without a Tango database (TangoTest cannot push them in
no-database mode).

Run: /usr/bin/python3 event_server.py test -nodb -ORBendPoint giop:tcp:127.0.0.1:PORT \
         -dlist labrig/events/1
Address: tango://127.0.0.1:PORT/labrig/events/1#dbase=no

Attributes:
  counter   DevLong  READ        +1 every `period_ms` while ticking; change event per step
  setpoint  DevDouble READ_WRITE  min -100, max 100, unit mm; change event on each write
  period_ms DevDouble READ_WRITE  tick period (5..10000 ms)
  noevents  DevDouble READ        a value that never pushes events (for the polling fallback)
Commands:
  Start / Stop  start or stop ticking;  Reset  counter back to 0 (pushes an event)
"""
import threading
import time

from tango import AttrWriteType, DevState
from tango.server import Device, attribute, command, run


class LabrigEvents(Device):
    def init_device(self):
        super().init_device()
        self._counter = 0
        self._setpoint = 0.0
        self._period = 20.0
        self._lock = threading.Lock()
        self._ticking = threading.Event()
        self._quit = threading.Event()
        self.set_change_event("counter", True, False)
        self.set_change_event("setpoint", True, False)
        self.set_state(DevState.ON)
        self.set_status("labrig event server ready")
        self._thread = threading.Thread(target=self._tick_loop, daemon=True)
        self._thread.start()

    def delete_device(self):
        self._quit.set()

    def _tick_loop(self):
        while not self._quit.is_set():
            if not self._ticking.wait(0.1):
                continue
            time.sleep(self._period / 1000.0)
            if not self._ticking.is_set():
                continue
            with self._lock:
                self._counter += 1
                value = self._counter
            self.push_change_event("counter", value)

    counter = attribute(dtype=int, access=AttrWriteType.READ, doc="ticks since start or reset")

    def read_counter(self):
        return self._counter

    setpoint = attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="mm", min_value=-100, max_value=100,
                         format="%6.3f", doc="a bounded setpoint")

    def read_setpoint(self):
        return self._setpoint

    def write_setpoint(self, value):
        self._setpoint = value
        self.push_change_event("setpoint", value)

    period_ms = attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="ms", min_value=5, max_value=10000)

    def read_period_ms(self):
        return self._period

    def write_period_ms(self, value):
        self._period = value

    noevents = attribute(dtype=float, access=AttrWriteType.READ, unit="V")

    def read_noevents(self):
        return time.time() % 1000.0

    @command
    def Start(self):
        self._ticking.set()
        self.set_state(DevState.RUNNING)

    @command
    def Stop(self):
        self._ticking.clear()
        self.set_state(DevState.ON)

    @command
    def Reset(self):
        with self._lock:
            self._counter = 0
        self.push_change_event("counter", 0)


if __name__ == "__main__":
    run((LabrigEvents,))
