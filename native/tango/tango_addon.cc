// labrig's native Tango backend: an N-API addon over cppTango (Debian libtango-dev, 9.3).
//
// One `Device` object = one Tango::DeviceProxy driven by one worker thread of its own. JS calls
// queue a job (with a request id) and return at once; the worker runs the blocking CORBA call in
// order, copies the answer out of cppTango's objects and hands a "builder" to a
// ThreadSafeFunction, which turns it into JS values on the main thread and calls the dispatcher
// given to the constructor: dispatch(kind, id, ok, value) with kind 0 = reply to request `id`,
// kind 1 = change event of subscription `id`. Change-event callbacks run on cppTango's event
// thread and go through the same ThreadSafeFunction, so events of one attribute keep their order.
//
// readNow() is the exception: a read made on the JS thread itself, only while the worker has
// nothing queued or running, with the proxy's limit set to a small budget. Two thread hand-offs
// per call (JS -> worker, worker -> JS) cost about as much as a whole read of a local server, so
// the JS side uses it for reads of fast devices (src/drivers/tango/addon.ts says when). timing()
// reports where reads spent their time, by a steady clock on both threads.
//
// Exit hangs on Debian's cppTango: a DeviceProxy destroyed by a static destructor or during
// process teardown can block exit. close() deletes the proxy on the worker while the process is
// alive; a Device that was never closed leaks its proxy, worker and callbacks on purpose (the
// object wrap's finalizer touches none of them).
//
// Known defect of Debian's cppTango 9.3 (no database): after a change-event channel is lost
// (heartbeat timeout: the device server stopped and came back), cppTango's event consumer keeps
// a dangling pointer to the server's admin device; unsubscribing, subscribing again on that
// server, its own keep-alive thread's next reconnect attempt or its exit handler then crash the
// process (SIGSEGV). The PyTango sidecar process dies of the same and is restarted; in-process
// there is no such escape. See docs/STATUS.md.
//
// Errors reach JS as plain objects: {kind: 'DevFailed', levels: [{reason, desc, origin,
// severity}]}, {kind: 'InvalidInput', message}, {kind: 'Native', message}.
#include <napi.h>
#include <tango.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

using Builder = std::function<Napi::Value(Napi::Env)>;

// Where a read's time goes (steady_clock ns, summed over the calls that carried timestamps):
// queued = submit (JS thread) -> worker picks the job up; call = the cppTango call alone;
// copy = copying the answer out of cppTango; deliver = posted -> the JS thread runs it;
// build = turning the copy into JS values; dispatch = the JS dispatcher (resolving the promise).
struct Timing {
  double calls = 0, queued = 0, call = 0, copy = 0, deliver = 0, build = 0, dispatch = 0;
  double syncCalls = 0, syncCall = 0, syncBuild = 0;  // readNow on the JS thread
};

// Timing's fields by the names timing() gives them in JS.
const std::pair<const char *, double Timing::*> kTimingFields[] = {
    {"calls", &Timing::calls},     {"queued", &Timing::queued},       {"call", &Timing::call},
    {"copy", &Timing::copy},       {"deliver", &Timing::deliver},     {"build", &Timing::build},
    {"dispatch", &Timing::dispatch}, {"syncCalls", &Timing::syncCalls}, {"syncCall", &Timing::syncCall},
    {"syncBuild", &Timing::syncBuild}};

inline int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Stamps {
  int64_t submitted = 0, started = 0, called = 0, posted = 0;
};

struct Msg {
  int kind;   // 0 reply, 1 event
  double id;  // request id or subscription id
  bool ok;
  Builder build;
  Stamps st{};
  Timing *timing = nullptr;  // the device's totals (owned by its Core, never freed)
};

struct InvalidInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string lower(std::string s) {
  for (auto &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char *typeName(long t) {
  if (t >= 0 && t <= Tango::DEVVAR_STATEARRAY) return Tango::CmdArgTypeName[t];
  return "Unknown";
}

const char *stateName(Tango::DevState s) {
  int i = static_cast<int>(s);
  return (i >= 0 && i <= Tango::UNKNOWN) ? Tango::DevStateName[i] : "UNKNOWN";
}

const char *qualityName(Tango::AttrQuality q) {
  switch (q) {
    case Tango::ATTR_VALID: return "ATTR_VALID";
    case Tango::ATTR_INVALID: return "ATTR_INVALID";
    case Tango::ATTR_ALARM: return "ATTR_ALARM";
    case Tango::ATTR_CHANGING: return "ATTR_CHANGING";
    case Tango::ATTR_WARNING: return "ATTR_WARNING";
  }
  return "ATTR_INVALID";
}

const char *formatName(Tango::AttrDataFormat f) {
  switch (f) {
    case Tango::SCALAR: return "SCALAR";
    case Tango::SPECTRUM: return "SPECTRUM";
    case Tango::IMAGE: return "IMAGE";
    default: return "UNKNOWN";
  }
}

const char *writableName(Tango::AttrWriteType w) {
  switch (w) {
    case Tango::READ: return "READ";
    case Tango::READ_WITH_WRITE: return "READ_WITH_WRITE";
    case Tango::WRITE: return "WRITE";
    case Tango::READ_WRITE: return "READ_WRITE";
    default: return "READ";
  }
}

// ---------------------------------------------------------------- errors -> builders

Builder devFailedBuilder(const Tango::DevErrorList &errs) {
  struct L { std::string reason, desc, origin, severity; };
  std::vector<L> levels;
  for (CORBA::ULong i = 0; i < errs.length(); i++) {
    const char *sev = errs[i].severity == Tango::WARN ? "WARN" : errs[i].severity == Tango::PANIC ? "PANIC" : "ERR";
    levels.push_back({errs[i].reason.in(), errs[i].desc.in(), errs[i].origin.in(), sev});
  }
  return [levels](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("kind", "DevFailed");
    auto arr = Napi::Array::New(env, levels.size());
    for (size_t i = 0; i < levels.size(); i++) {
      auto l = Napi::Object::New(env);
      l.Set("reason", levels[i].reason);
      l.Set("desc", levels[i].desc);
      l.Set("origin", levels[i].origin);
      l.Set("severity", levels[i].severity);
      arr.Set(static_cast<uint32_t>(i), l);
    }
    o.Set("levels", arr);
    return o;
  };
}

Builder messageBuilder(const char *kind, std::string message) {
  std::string k = kind;
  return [k, message](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("kind", k);
    o.Set("message", message);
    return o;
  };
}

// Run `fn` and turn whatever it throws into an error builder.
template <typename F>
std::pair<bool, Builder> guarded(F &&fn) {
  try {
    return {true, fn()};
  } catch (Tango::DevFailed &e) {
    return {false, devFailedBuilder(e.errors)};
  } catch (InvalidInput &e) {
    return {false, messageBuilder("InvalidInput", e.what())};
  } catch (CORBA::Exception &e) {
    return {false, messageBuilder("Native", std::string("CORBA exception ") + e._name())};
  } catch (std::exception &e) {
    return {false, messageBuilder("Native", e.what())};
  } catch (...) {
    return {false, messageBuilder("Native", "unknown C++ exception")};
  }
}

// ---------------------------------------------------------------- values -> JS

template <typename T>
napi_typedarray_type taType() {
  if (std::is_floating_point<T>::value) return sizeof(T) == 4 ? napi_float32_array : napi_float64_array;
  switch (sizeof(T)) {
    case 1: return std::is_signed<T>::value ? napi_int8_array : napi_uint8_array;
    case 2: return std::is_signed<T>::value ? napi_int16_array : napi_uint16_array;
    case 4: return std::is_signed<T>::value ? napi_int32_array : napi_uint32_array;
    default: return std::is_signed<T>::value ? napi_bigint64_array : napi_biguint64_array;
  }
}

template <typename T>
Napi::Value typedArray(Napi::Env env, const std::vector<T> &v) {
  auto buf = Napi::ArrayBuffer::New(env, v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(buf.Data(), v.data(), v.size() * sizeof(T));
  napi_value out;
  NAPI_THROW_IF_FAILED(env, napi_create_typedarray(env, taType<T>(), v.size(), buf, 0, &out), Napi::Value());
  return Napi::Value(env, out);
}

Napi::Value shapeArray(Napi::Env env, const std::vector<int> &shape) {
  auto a = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, shape[i]));
  return a;
}

// A scalar element as a JS value.
template <typename T>
Napi::Value scalarJs(Napi::Env env, const T &x) {
  if constexpr (std::is_same<T, bool>::value) return Napi::Boolean::New(env, x);
  else if constexpr (std::is_same<T, std::string>::value) return Napi::String::New(env, x);
  else if constexpr (std::is_same<T, Tango::DevState>::value) return Napi::String::New(env, stateName(x));
  else return Napi::Number::New(env, static_cast<double>(x));
}

// Elements of an array value: typed array for numbers, plain array for strings/booleans/states.
template <typename T>
Napi::Value elementsJs(Napi::Env env, const std::vector<T> &v) {
  if constexpr (std::is_arithmetic<T>::value && !std::is_same<T, bool>::value) return typedArray(env, v);
  else {
    auto a = Napi::Array::New(env, v.size());
    for (size_t i = 0; i < v.size(); i++) a.Set(static_cast<uint32_t>(i), scalarJs(env, static_cast<T>(v[i])));
    return a;
  }
}

// {data, shape}
template <typename T>
Napi::Value arrayJs(Napi::Env env, const std::vector<T> &v, const std::vector<int> &shape) {
  auto o = Napi::Object::New(env);
  o.Set("data", elementsJs(env, v));
  o.Set("shape", shapeArray(env, shape));
  return o;
}

// ---------------------------------------------------------------- readings

struct ReadingParts {
  std::string name;
  std::string quality;
  double timestamp = 0;
  Builder value;   // empty: undefined
  Builder wvalue;  // empty: absent
};

// ---------------------------------------------------------------- Tango type -> C++ type

template <typename T>
struct Tag {
  using type = T;
};

// Call f(Tag<T>{}) with the C++ type of a scalar Tango type (DevEnum travels as a DevShort,
// ConstDevString as a string); false when there is none.
template <typename F>
bool withScalarType(long type, F &&f) {
  switch (type) {
    case Tango::DEV_BOOLEAN: f(Tag<bool>{}); return true;
    case Tango::DEV_UCHAR: f(Tag<unsigned char>{}); return true;
    case Tango::DEV_SHORT:
    case Tango::DEV_ENUM: f(Tag<Tango::DevShort>{}); return true;
    case Tango::DEV_USHORT: f(Tag<Tango::DevUShort>{}); return true;
    case Tango::DEV_LONG: f(Tag<Tango::DevLong>{}); return true;
    case Tango::DEV_ULONG: f(Tag<Tango::DevULong>{}); return true;
    case Tango::DEV_LONG64: f(Tag<Tango::DevLong64>{}); return true;
    case Tango::DEV_ULONG64: f(Tag<Tango::DevULong64>{}); return true;
    case Tango::DEV_FLOAT: f(Tag<Tango::DevFloat>{}); return true;
    case Tango::DEV_DOUBLE: f(Tag<Tango::DevDouble>{}); return true;
    case Tango::DEV_STRING:
    case Tango::CONST_DEV_STRING: f(Tag<std::string>{}); return true;
    case Tango::DEV_STATE: f(Tag<Tango::DevState>{}); return true;
    default: return false;
  }
}

// Call f(Tag<T>{}) with the element type of a DevVar*Array command type; false when there is none.
template <typename F>
bool withArrayType(long type, F &&f) {
  switch (type) {
    case Tango::DEVVAR_CHARARRAY: f(Tag<unsigned char>{}); return true;
    case Tango::DEVVAR_SHORTARRAY: f(Tag<Tango::DevShort>{}); return true;
    case Tango::DEVVAR_USHORTARRAY: f(Tag<Tango::DevUShort>{}); return true;
    case Tango::DEVVAR_LONGARRAY: f(Tag<Tango::DevLong>{}); return true;
    case Tango::DEVVAR_ULONGARRAY: f(Tag<Tango::DevULong>{}); return true;
    case Tango::DEVVAR_LONG64ARRAY: f(Tag<Tango::DevLong64>{}); return true;
    case Tango::DEVVAR_ULONG64ARRAY: f(Tag<Tango::DevULong64>{}); return true;
    case Tango::DEVVAR_FLOATARRAY: f(Tag<Tango::DevFloat>{}); return true;
    case Tango::DEVVAR_DOUBLEARRAY: f(Tag<Tango::DevDouble>{}); return true;
    case Tango::DEVVAR_STRINGARRAY: f(Tag<std::string>{}); return true;
    case Tango::DEVVAR_BOOLEANARRAY: f(Tag<bool>{}); return true;
    default: return false;
  }
}

template <typename T>
void extractTyped(Tango::DeviceAttribute &da, ReadingParts &r, bool image, bool scalar) {
  std::vector<T> rv;
  da.extract_read(rv);
  int dx = da.get_dim_x(), dy = da.get_dim_y();
  if (scalar) {
    if (!rv.empty()) {
      T x = rv[0];
      r.value = [x](Napi::Env env) { return scalarJs(env, x); };
    }
  } else {
    std::vector<int> shape = image ? std::vector<int>{dy, dx} : std::vector<int>{dx};
    auto p = std::make_shared<std::vector<T>>(std::move(rv));
    r.value = [p, shape](Napi::Env env) { return arrayJs(env, *p, shape); };
  }
  int wx = da.get_written_dim_x(), wy = da.get_written_dim_y();
  if (wx > 0) {
    std::vector<T> wv;
    try {
      da.extract_set(wv);
    } catch (Tango::DevFailed &) {
      return;
    }
    if (scalar) {
      if (!wv.empty()) {
        T x = wv[0];
        r.wvalue = [x](Napi::Env env) { return scalarJs(env, x); };
      }
    } else {
      std::vector<int> shape = image ? std::vector<int>{wy, wx} : std::vector<int>{wx};
      auto p = std::make_shared<std::vector<T>>(std::move(wv));
      r.wvalue = [p, shape](Napi::Env env) { return arrayJs(env, *p, shape); };
    }
  }
}

// Copy everything out of `da` (on the worker or event thread); throws DevFailed when it failed.
ReadingParts extractReading(Tango::DeviceAttribute &da) {
  ReadingParts r;
  r.name = da.get_name();
  if (da.has_failed()) throw Tango::DevFailed(da.get_err_stack());
  Tango::AttrQuality q = da.get_quality();
  r.quality = qualityName(q);
  const Tango::TimeVal &tv = da.get_date();
  r.timestamp = static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  if (q == Tango::ATTR_INVALID) return r;
  Tango::AttrDataFormat f = da.get_data_format();
  bool image = f == Tango::IMAGE, scalar = f == Tango::SCALAR;
  if (da.get_type() == Tango::DEV_STATE && scalar) {
    // The State attribute travels in its own field, which is_empty() and the vector extractors
    // do not look at.
    Tango::DevState st;
    da >> st;
    r.value = [st](Napi::Env env) { return scalarJs(env, st); };
    return r;
  }
  if (da.is_empty()) return r;
  if (withScalarType(da.get_type(), [&](auto tag) { extractTyped<typename decltype(tag)::type>(da, r, image, scalar); })) return r;
  switch (da.get_type()) {
    case Tango::DEV_ENCODED: {
      std::string fmt;
      std::vector<unsigned char> bytes;
      da.extract_read(fmt, bytes);
      auto p = std::make_shared<std::vector<unsigned char>>(std::move(bytes));
      int n = static_cast<int>(p->size());
      r.value = [p, n](Napi::Env env) { return arrayJs(env, *p, {n}); };
      break;
    }
    default:
      throw std::runtime_error(std::string("attribute ") + r.name + ": unsupported type " + typeName(da.get_type()));
  }
  return r;
}

Builder readingBuilder(ReadingParts r) {
  auto p = std::make_shared<ReadingParts>(std::move(r));
  return [p](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("name", p->name);
    o.Set("value", p->value ? p->value(env) : env.Undefined());
    o.Set("timestamp", p->timestamp);
    o.Set("quality", p->quality);
    if (p->wvalue) o.Set("writeValue", p->wvalue(env));
    return o;
  };
}

// ---------------------------------------------------------------- JS -> values (main thread)

// A value from JS, copied so the worker can use it.
struct InVal {
  enum Kind { Undef, Bool, Num, Str, Big, Array, NumStr } kind = Undef;
  bool b = false;
  double n = 0;
  std::string s;
  int64_t big = 0;
  bool bigUnsigned = false;
  uint64_t ubig = 0;
  // Array: exactly one of these is filled (by element kind)
  enum Elem { ENum, EStr, EBool, EI64, EU64 } elem = ENum;
  std::vector<double> nums;
  std::vector<std::string> strs;
  std::vector<bool> bools;
  std::vector<int64_t> i64;
  std::vector<uint64_t> u64;
  std::vector<int> shape;  // empty: [length]
  size_t length() const {
    switch (elem) {
      case ENum: return nums.size();
      case EStr: return strs.size();
      case EBool: return bools.size();
      case EI64: return i64.size();
      case EU64: return u64.size();
    }
    return 0;
  }
};

// Append every element of `a` to `out` (`get` of each), or throw `message(i)` at the first element
// `is` refuses.
template <typename T, typename Is, typename Get, typename Message>
void elementsOf(Napi::Array a, std::vector<T> &out, Is is, Get get, Message message) {
  uint32_t n = a.Length();
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value x = a.Get(i);
    if (!is(x)) throw InvalidInput(message(i));
    out.push_back(get(x));
  }
}

void readElements(Napi::Value data, InVal &v) {
  if (data.IsTypedArray()) {
    auto ta = data.As<Napi::TypedArray>();
    size_t n = ta.ElementLength();
    auto type = ta.TypedArrayType();
    auto *base = static_cast<uint8_t *>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    if (type == napi_bigint64_array) {
      v.elem = InVal::EI64;
      v.i64.assign(reinterpret_cast<int64_t *>(base), reinterpret_cast<int64_t *>(base) + n);
      return;
    }
    if (type == napi_biguint64_array) {
      v.elem = InVal::EU64;
      v.u64.assign(reinterpret_cast<uint64_t *>(base), reinterpret_cast<uint64_t *>(base) + n);
      return;
    }
    v.elem = InVal::ENum;
    v.nums.resize(n);
    for (size_t i = 0; i < n; i++) {
      switch (type) {
        case napi_int8_array: v.nums[i] = reinterpret_cast<int8_t *>(base)[i]; break;
        case napi_uint8_array:
        case napi_uint8_clamped_array: v.nums[i] = base[i]; break;
        case napi_int16_array: v.nums[i] = reinterpret_cast<int16_t *>(base)[i]; break;
        case napi_uint16_array: v.nums[i] = reinterpret_cast<uint16_t *>(base)[i]; break;
        case napi_int32_array: v.nums[i] = reinterpret_cast<int32_t *>(base)[i]; break;
        case napi_uint32_array: v.nums[i] = reinterpret_cast<uint32_t *>(base)[i]; break;
        case napi_float32_array: v.nums[i] = reinterpret_cast<float *>(base)[i]; break;
        case napi_float64_array: v.nums[i] = reinterpret_cast<double *>(base)[i]; break;
        default: throw InvalidInput("unsupported typed array");
      }
    }
    return;
  }
  if (!data.IsArray()) throw InvalidInput("expected an array or typed array");
  auto a = data.As<Napi::Array>();
  uint32_t n = a.Length();
  if (n == 0) {
    v.elem = InVal::ENum;
    return;
  }
  Napi::Value first = a.Get(0u);
  auto mixes = [](const char *what) { return [what](uint32_t i) { return std::string("array mixes ") + what + " with other values (element " + std::to_string(i) + ")"; }; };
  if (first.IsString()) {
    v.elem = InVal::EStr;
    elementsOf(a, v.strs, [](Napi::Value x) { return x.IsString(); }, [](Napi::Value x) { return x.As<Napi::String>().Utf8Value(); }, mixes("strings"));
  } else if (first.IsBoolean()) {
    v.elem = InVal::EBool;
    elementsOf(a, v.bools, [](Napi::Value x) { return x.IsBoolean(); }, [](Napi::Value x) { return x.As<Napi::Boolean>().Value(); }, mixes("booleans"));
  } else if (first.IsBigInt()) {
    v.elem = InVal::EI64;
    auto get = [](Napi::Value x) {
      bool lossless;
      return x.As<Napi::BigInt>().Int64Value(&lossless);
    };
    elementsOf(a, v.i64, [](Napi::Value x) { return x.IsBigInt(); }, get, mixes("bigints"));
  } else {
    v.elem = InVal::ENum;
    auto notNumber = [](uint32_t i) { return "array element " + std::to_string(i) + " is not a number"; };
    elementsOf(a, v.nums, [](Napi::Value x) { return x.IsNumber(); }, [](Napi::Value x) { return x.As<Napi::Number>().DoubleValue(); }, notNumber);
  }
}

InVal fromJs(Napi::Value x) {
  InVal v;
  if (x.IsUndefined() || x.IsNull()) return v;
  if (x.IsBoolean()) {
    v.kind = InVal::Bool;
    v.b = x.As<Napi::Boolean>().Value();
  } else if (x.IsNumber()) {
    v.kind = InVal::Num;
    v.n = x.As<Napi::Number>().DoubleValue();
  } else if (x.IsString()) {
    v.kind = InVal::Str;
    v.s = x.As<Napi::String>().Utf8Value();
  } else if (x.IsBigInt()) {
    v.kind = InVal::Big;
    bool lossless;
    v.big = x.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) {
      v.ubig = x.As<Napi::BigInt>().Uint64Value(&lossless);
      v.bigUnsigned = true;
    }
  } else if (x.IsArray() || x.IsTypedArray()) {
    v.kind = InVal::Array;
    readElements(x, v);
  } else if (x.IsObject()) {
    auto o = x.As<Napi::Object>();
    if (o.Has("numbers") && o.Has("strings")) {
      v.kind = InVal::NumStr;
      InVal a, b;
      readElements(o.Get("numbers"), a);
      readElements(o.Get("strings"), b);
      if (a.elem == InVal::EStr || (b.elem != InVal::EStr && b.length() > 0)) throw InvalidInput("{numbers, strings}: numbers must be numbers and strings strings");
      v.nums = a.nums;
      for (auto i : a.i64) v.nums.push_back(static_cast<double>(i));
      v.strs = b.strs;
    } else if (o.Has("data")) {
      v.kind = InVal::Array;
      readElements(o.Get("data"), v);
      if (o.Has("shape") && o.Get("shape").IsArray()) {
        auto sh = o.Get("shape").As<Napi::Array>();
        for (uint32_t i = 0; i < sh.Length(); i++) v.shape.push_back(sh.Get(i).As<Napi::Number>().Int32Value());
      }
    } else {
      throw InvalidInput("expected a number, string, boolean, array or {data, shape}");
    }
  } else {
    throw InvalidInput("unsupported value");
  }
  return v;
}

// ---------------------------------------------------------------- values -> Tango (worker)

// A number as JS prints it (shortest text that reads back the same), for error messages.
std::string numText(double x) {
  char buf[40];
  if (std::isfinite(x) && std::floor(x) == x && std::fabs(x) < 1e21) {
    std::snprintf(buf, sizeof buf, "%.0f", x);
    return buf;
  }
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (std::strtod(buf, nullptr) == x || !std::isfinite(x)) break;
  }
  return buf;
}

template <typename T>
T toNumber(double x, const char *type) {
  if (std::is_floating_point<T>::value) return static_cast<T>(x);
  if (!std::isfinite(x) || std::floor(x) != x) throw InvalidInput(std::string(type) + " needs an integer, got " + numText(x));
  if (x < static_cast<double>(std::numeric_limits<T>::lowest()) || x > static_cast<double>(std::numeric_limits<T>::max()))
    throw InvalidInput(std::string(type) + ": " + numText(x) + " is out of range");
  return static_cast<T>(x);
}

template <typename T>
T scalarOf(const InVal &v, const char *type) {
  if constexpr (std::is_same<T, std::string>::value) {
    if (v.kind != InVal::Str) throw InvalidInput(std::string(type) + " needs a string");
    return v.s;
  } else if constexpr (std::is_same<T, bool>::value) {
    if (v.kind == InVal::Bool) return v.b;
    if (v.kind == InVal::Num && (v.n == 0 || v.n == 1)) return v.n == 1;
    throw InvalidInput(std::string(type) + " needs a boolean");
  } else if constexpr (std::is_same<T, Tango::DevState>::value) {
    if (v.kind == InVal::Str) {
      for (int i = 0; i <= Tango::UNKNOWN; i++)
        if (v.s == Tango::DevStateName[i]) return static_cast<Tango::DevState>(i);
      throw InvalidInput(std::string("unknown DevState '") + v.s + "'");
    }
    if (v.kind == InVal::Num) return static_cast<Tango::DevState>(toNumber<int>(v.n, type));
    throw InvalidInput("DevState needs a state name");
  } else {
    if (v.kind == InVal::Num) return toNumber<T>(v.n, type);
    if (v.kind == InVal::Big) {
      if (v.bigUnsigned) return static_cast<T>(v.ubig);
      return static_cast<T>(v.big);
    }
    if (v.kind == InVal::Bool) return static_cast<T>(v.b ? 1 : 0);
    if (v.kind == InVal::Str && std::is_floating_point<T>::value) {
      if (v.s == "NaN") return static_cast<T>(std::nan(""));
      if (v.s == "Infinity") return std::numeric_limits<T>::infinity();
      if (v.s == "-Infinity") return -std::numeric_limits<T>::infinity();
    }
    throw InvalidInput(std::string(type) + " needs a number");
  }
}

template <typename T>
std::vector<T> vectorOf(const InVal &v, const char *type) {
  std::vector<T> out;
  if (v.kind != InVal::Array) {
    if (v.kind == InVal::Undef) throw InvalidInput(std::string(type) + " needs an array");
    out.push_back(scalarOf<T>(v, type));
    return out;
  }
  if constexpr (std::is_same<T, std::string>::value) {
    if (v.elem != InVal::EStr && v.length() > 0) throw InvalidInput(std::string(type) + " needs strings");
    out = v.strs;
  } else if constexpr (std::is_same<T, bool>::value) {
    if (v.elem == InVal::EBool) out.assign(v.bools.begin(), v.bools.end());
    else if (v.elem == InVal::ENum)
      for (double x : v.nums) out.push_back(x != 0);
    else throw InvalidInput(std::string(type) + " needs booleans");
  } else if constexpr (std::is_same<T, Tango::DevState>::value) {
    throw InvalidInput("arrays of DevState cannot be written");
  } else {
    switch (v.elem) {
      case InVal::ENum:
        for (double x : v.nums) out.push_back(toNumber<T>(x, type));
        break;
      case InVal::EI64:
        for (auto x : v.i64) out.push_back(static_cast<T>(x));
        break;
      case InVal::EU64:
        for (auto x : v.u64) out.push_back(static_cast<T>(x));
        break;
      case InVal::EBool:
        for (bool x : v.bools) out.push_back(static_cast<T>(x ? 1 : 0));
        break;
      case InVal::EStr: throw InvalidInput(std::string(type) + " needs numbers, got strings");
    }
  }
  return out;
}

template <typename T>
void fillAttr(Tango::DeviceAttribute &da, const InVal &v, Tango::AttrDataFormat fmt, const char *type) {
  if (fmt == Tango::SCALAR) {
    if (v.kind == InVal::Array) throw InvalidInput(std::string("scalar ") + type + " attribute needs a scalar, got an array");
    T x = scalarOf<T>(v, type);
    if constexpr (std::is_same<T, std::string>::value) da << x;
    else da << x;
    return;
  }
  std::vector<T> vec = vectorOf<T>(v, type);
  if (fmt == Tango::IMAGE) {
    int rows, cols;
    if (v.shape.size() == 2) {
      rows = v.shape[0];
      cols = v.shape[1];
    } else {
      throw InvalidInput("an image value needs {data, shape: [rows, columns]}");
    }
    if (static_cast<size_t>(rows) * static_cast<size_t>(cols) != vec.size())
      throw InvalidInput("image shape [" + std::to_string(rows) + ", " + std::to_string(cols) + "] does not match " + std::to_string(vec.size()) + " elements");
    da.insert(vec, cols, rows);
  } else {
    da << vec;
  }
}

template <typename T, bool Array>
void fillData(Tango::DeviceData &dd, const InVal &v, const char *type) {
  if constexpr (Array) {
    std::vector<T> vec = vectorOf<T>(v, type);
    dd << vec;
  } else {
    if (v.kind == InVal::Array) throw InvalidInput(std::string(type) + " needs a scalar, got an array");
    T x = scalarOf<T>(v, type);
    dd << x;
  }
}

template <typename T, bool Array>
Builder dataOut(Tango::DeviceData &dd) {
  if constexpr (Array) {
    std::vector<T> vec;
    dd >> vec;
    auto p = std::make_shared<std::vector<T>>(std::move(vec));
    if constexpr (std::is_same<T, std::string>::value || std::is_same<T, bool>::value)
      return [p](Napi::Env env) { return elementsJs(env, *p); };
    else
      return [p](Napi::Env env) { return arrayJs(env, *p, {static_cast<int>(p->size())}); };
  } else {
    T x;
    dd >> x;
    return [x](Napi::Env env) { return scalarJs(env, x); };
  }
}

// ---------------------------------------------------------------- the device

void callJs(Napi::Env env, Napi::Function dispatch, std::nullptr_t *, Msg *m) {
  std::unique_ptr<Msg> owned(m);
  if (env == nullptr || dispatch.IsEmpty()) return;
  int64_t t0 = m->timing && m->st.posted ? nowNs() : 0;
  Napi::Value v;
  try {
    v = m->build ? m->build(env) : env.Undefined();
  } catch (const Napi::Error &e) {
    auto o = Napi::Object::New(env);
    o.Set("kind", "Native");
    o.Set("message", std::string("value conversion failed: ") + e.Message());
    v = o;
    m->ok = false;
  }
  int64_t t1 = t0 ? nowNs() : 0;
  dispatch.Call({Napi::Number::New(env, m->kind), Napi::Number::New(env, m->id), Napi::Boolean::New(env, m->ok), v});
  if (t0) {
    Timing &tm = *m->timing;
    const Stamps &st = m->st;
    tm.calls += 1;
    tm.queued += static_cast<double>(st.started - st.submitted);
    tm.call += static_cast<double>(st.called - st.started);
    tm.copy += static_cast<double>(st.posted - st.called);
    tm.deliver += static_cast<double>(t0 - st.posted);
    tm.build += static_cast<double>(t1 - t0);
    tm.dispatch += static_cast<double>(nowNs() - t1);
  }
}

using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, Msg, callJs>;


class Core;

class EventCb : public Tango::CallBack {
 public:
  EventCb(Core *core, double sub) : core_(core), sub_(sub) {}
  void push_event(Tango::EventData *ed) override;
  std::atomic<bool> dead{false};

 private:
  Core *core_;
  double sub_;
};

struct SubRec {
  int eventId;
  EventCb *cb;  // deliberately never deleted (cppTango may still hold it)
};

class Core {
 public:
  explicit Core(Tsfn tsfn) : tsfn_(tsfn) {
    std::thread t([this] { loop(); });
    workerId_ = t.get_id();
    t.detach();
  }

  void enqueue(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> g(qm_);
      q_.push_back(std::move(job));
    }
    qcv_.notify_one();
  }

  // Post to JS; false after close (the message is dropped).
  bool post(Msg *m) {
    std::lock_guard<std::mutex> g(pm_);
    if (released_) {
      delete m;
      return false;
    }
    if (tsfn_.NonBlockingCall(m) != napi_ok) {
      delete m;
      return false;
    }
    return true;
  }

  // A job's reply is its last use of the proxy: on the worker, the device counts as idle from
  // here, before the JS thread can see the reply (the worker may be preempted right after
  // posting; the JS thread's next read would otherwise find it still "running").
  void reply(double id, std::pair<bool, Builder> r) {
    doneOnWorker();
    post(new Msg{0, id, r.first, std::move(r.second)});
  }

  // A reply that carries its timestamps into `timing` (reads).
  void replyTimed(double id, std::pair<bool, Builder> r, Stamps st) {
    st.posted = nowNs();
    if (!st.called) st.called = st.posted;  // the call threw
    doneOnWorker();
    post(new Msg{0, id, r.first, std::move(r.second), st, &timing});
  }

  Timing timing;  // JS thread only

  // Worker-side state
  Tango::DeviceProxy *dev = nullptr;
  int timeout = -1;
  std::map<std::string, std::pair<long, Tango::AttrDataFormat>> attrs;  // lower name -> type, format
  std::map<std::string, std::pair<long, long>> cmds;                   // lower name -> in, out
  std::map<double, SubRec> subs;
  std::string name;

  void setTimeout(int ms) {
    if (dev && ms > 0 && ms != timeout) {
      dev->set_timeout_millis(ms);
      timeout = ms;
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> g(qm_);
      stopping_ = true;
    }
    qcv_.notify_one();
  }

  // After close: no more posts, the TSFN released (from the worker).
  void release() {
    std::lock_guard<std::mutex> g(pm_);
    if (released_) return;
    released_ = true;
    tsfn_.Release();
  }

  Tsfn tsfn_;

  // Nothing queued and no job running on the worker (asked on the JS thread, the only one that
  // queues jobs: while it makes a call itself, the worker stays idle).
  bool idle() {
    std::lock_guard<std::mutex> g(qm_);
    return q_.empty() && !running_ && !stopping_;
  }

  // On the worker thread: the running job is done with the proxy (see reply()).
  void doneOnWorker() {
    if (std::this_thread::get_id() != workerId_) return;
    std::lock_guard<std::mutex> g(qm_);
    running_ = false;
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> g(qm_);
        running_ = false;
        qcv_.wait(g, [this] { return stopping_ || !q_.empty(); });
        if (q_.empty()) return;  // stopping and drained
        job = std::move(q_.front());
        q_.pop_front();
        running_ = true;
      }
      job();
    }
  }

  std::mutex qm_;
  std::condition_variable qcv_;
  std::deque<std::function<void()>> q_;
  bool stopping_ = false;
  bool running_ = false;
  std::thread::id workerId_;
  std::mutex pm_;
  bool released_ = false;
};

void EventCb::push_event(Tango::EventData *ed) {
  if (dead.load()) return;
  auto r = guarded([&]() -> Builder {
    if (ed->err) throw Tango::DevFailed(ed->errors);
    if (!ed->attr_value) throw std::runtime_error("event without a value");
    return readingBuilder(extractReading(*ed->attr_value));
  });
  core_->post(new Msg{1, sub_, r.first, std::move(r.second)});
}



Builder describe(Core &c) {
  struct A {
    std::string name, dataType, format, writable, unit, label, description, displayFormat;
    std::vector<std::pair<std::string, double>> limits;
    int maxDimX, maxDimY;
    std::vector<std::string> enumLabels;
  };
  struct C { std::string name, inType, outType, inDesc, outDesc; };
  auto attrs = std::make_shared<std::vector<A>>();
  auto cmds = std::make_shared<std::vector<C>>();
  std::unique_ptr<Tango::AttributeInfoListEx> al(c.dev->attribute_list_query_ex());
  c.attrs.clear();
  auto num = [](const std::string &s, std::vector<std::pair<std::string, double>> &out, const char *key) {
    if (s.empty() || s == "Not specified") return;
    char *end = nullptr;
    double x = std::strtod(s.c_str(), &end);
    if (end && *end == '\0' && std::isfinite(x)) out.emplace_back(key, x);
  };
  for (auto &a : *al) {
    A x;
    x.name = a.name;
    x.dataType = typeName(a.data_type);
    x.format = formatName(a.data_format);
    x.writable = writableName(a.writable);
    x.unit = a.unit == "No unit" ? "" : a.unit;
    x.label = a.label;
    x.description = a.description == "No description" ? "" : a.description;
    x.displayFormat = a.format;
    x.maxDimX = a.max_dim_x;
    x.maxDimY = a.max_dim_y;
    num(a.min_value, x.limits, "minValue");
    num(a.max_value, x.limits, "maxValue");
    num(a.alarms.min_alarm, x.limits, "minAlarm");
    num(a.alarms.max_alarm, x.limits, "maxAlarm");
    num(a.alarms.min_warning, x.limits, "minWarning");
    num(a.alarms.max_warning, x.limits, "maxWarning");
    x.enumLabels = a.enum_labels;
    c.attrs[lower(a.name)] = {a.data_type, a.data_format};
    attrs->push_back(std::move(x));
  }
  std::unique_ptr<Tango::CommandInfoList> cl(c.dev->command_list_query());
  c.cmds.clear();
  for (auto &ci : *cl) {
    cmds->push_back({ci.cmd_name, typeName(ci.in_type), typeName(ci.out_type), ci.in_type_desc, ci.out_type_desc});
    c.cmds[lower(ci.cmd_name)] = {ci.in_type, ci.out_type};
  }
  std::string name = c.dev->dev_name();
  std::string cls = c.dev->info().dev_class;
  return [attrs, cmds, name, cls](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("name", name);
    o.Set("className", cls);
    auto aa = Napi::Array::New(env, attrs->size());
    for (size_t i = 0; i < attrs->size(); i++) {
      const A &a = (*attrs)[i];
      auto x = Napi::Object::New(env);
      x.Set("name", a.name);
      x.Set("dataType", a.dataType);
      x.Set("format", a.format);
      x.Set("writable", a.writable);
      x.Set("unit", a.unit);
      x.Set("label", a.label);
      x.Set("description", a.description);
      x.Set("displayFormat", a.displayFormat);
      for (auto &l : a.limits) x.Set(l.first, l.second);
      x.Set("maxDimX", a.maxDimX);
      x.Set("maxDimY", a.maxDimY);
      if (!a.enumLabels.empty()) {
        auto el = Napi::Array::New(env, a.enumLabels.size());
        for (size_t j = 0; j < a.enumLabels.size(); j++) el.Set(static_cast<uint32_t>(j), a.enumLabels[j]);
        x.Set("enumLabels", el);
      }
      aa.Set(static_cast<uint32_t>(i), x);
    }
    o.Set("attributes", aa);
    auto ca = Napi::Array::New(env, cmds->size());
    for (size_t i = 0; i < cmds->size(); i++) {
      const C &c2 = (*cmds)[i];
      auto x = Napi::Object::New(env);
      x.Set("name", c2.name);
      x.Set("inType", c2.inType);
      x.Set("outType", c2.outType);
      x.Set("inDescription", c2.inDesc);
      x.Set("outDescription", c2.outDesc);
      ca.Set(static_cast<uint32_t>(i), x);
    }
    o.Set("commands", ca);
    return o;
  };
}

void requireDev(Core &c) {
  if (!c.dev) throw std::runtime_error("not connected");
}

Builder writeAttr(Core &c, const std::string &name, const InVal &v) {
  requireDev(c);
  auto it = c.attrs.find(lower(name));
  long type;
  Tango::AttrDataFormat fmt;
  if (it == c.attrs.end()) {
    Tango::AttributeInfoEx info = c.dev->get_attribute_config(name);  // throws API_AttrNotFound
    type = info.data_type;
    fmt = info.data_format;
  } else {
    type = it->second.first;
    fmt = it->second.second;
  }
  Tango::DeviceAttribute da;
  std::string aname = name;
  da.set_name(aname);
  const char *tn = typeName(type);
  if (!withScalarType(type, [&](auto tag) { fillAttr<typename decltype(tag)::type>(da, v, fmt, tn); }))
    throw InvalidInput(std::string("attribute ") + name + ": writing " + tn + " is not supported");
  c.dev->write_attribute(da);
  return Builder();
}

Builder runCommand(Core &c, const std::string &name, const InVal &arg, bool hasArg) {
  requireDev(c);
  auto it = c.cmds.find(lower(name));
  long in, out;
  if (it == c.cmds.end()) {
    Tango::CommandInfo ci = c.dev->command_query(name);  // throws API_CommandNotFound
    in = ci.in_type;
    out = ci.out_type;
  } else {
    in = it->second.first;
    out = it->second.second;
  }
  const char *tn = typeName(in);
  Tango::DeviceData dd;
  if (in != Tango::DEV_VOID) {
    if (!hasArg) throw InvalidInput("command " + name + " needs a " + tn + " argument");
    auto scalarIn = [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same<T, unsigned char>::value) throw InvalidInput("command " + name + ": argument type " + tn + " is not supported");
      else fillData<T, false>(dd, arg, tn);
    };
    auto arrayIn = [&](auto tag) { fillData<typename decltype(tag)::type, true>(dd, arg, tn); };
    if (!withScalarType(in, scalarIn) && !withArrayType(in, arrayIn)) {
      if (in != Tango::DEVVAR_LONGSTRINGARRAY && in != Tango::DEVVAR_DOUBLESTRINGARRAY) throw InvalidInput("command " + name + ": argument type " + tn + " is not supported");
      if (arg.kind != InVal::NumStr) throw InvalidInput(std::string(tn) + " needs {numbers, strings}");
      std::vector<std::string> s = arg.strs;
      if (in == Tango::DEVVAR_LONGSTRINGARRAY) {
        std::vector<Tango::DevLong> l;
        for (double x : arg.nums) l.push_back(toNumber<Tango::DevLong>(x, tn));
        dd.insert(l, s);
      } else {
        std::vector<double> d = arg.nums;
        dd.insert(d, s);
      }
    }
  }
  std::string cname = name;
  Tango::DeviceData r = in == Tango::DEV_VOID ? c.dev->command_inout(cname) : c.dev->command_inout(cname, dd);
  if (out == Tango::DEV_VOID || r.is_empty()) return Builder();
  Builder result;
  auto scalarOut = [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same<T, unsigned char>::value) throw std::runtime_error("command " + name + ": result type " + typeName(out) + " is not supported");
    else result = dataOut<T, false>(r);
  };
  auto arrayOut = [&](auto tag) { result = dataOut<typename decltype(tag)::type, true>(r); };
  if (withScalarType(out, scalarOut) || withArrayType(out, arrayOut)) return result;
  switch (out) {
    case Tango::DEVVAR_LONGSTRINGARRAY:
    case Tango::DEVVAR_DOUBLESTRINGARRAY: {
      auto nums = std::make_shared<std::vector<double>>();
      auto strs = std::make_shared<std::vector<std::string>>();
      if (out == Tango::DEVVAR_LONGSTRINGARRAY) {
        std::vector<Tango::DevLong> l;
        r.extract(l, *strs);
        for (auto x : l) nums->push_back(x);
      } else {
        r.extract(*nums, *strs);
      }
      return [nums, strs](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        auto na = Napi::Array::New(env, nums->size());
        for (size_t i = 0; i < nums->size(); i++) na.Set(static_cast<uint32_t>(i), (*nums)[i]);
        o.Set("numbers", na);
        o.Set("strings", elementsJs(env, *strs));
        return o;
      };
    }
    default: throw std::runtime_error("command " + name + ": result type " + typeName(out) + " is not supported");
  }
}

// Read `names` (one: read_attribute, more: read_attributes) and copy the answer out; `st.called`
// is stamped when the cppTango call returns.
Builder readNames(Core &c, const std::vector<std::string> &names, int tmo, Stamps &st) {
  requireDev(c);
  c.setTimeout(tmo);
  std::vector<ReadingParts> parts;
  if (names.size() == 1) {
    std::string n = names[0];
    Tango::DeviceAttribute da = c.dev->read_attribute(n);
    st.called = nowNs();
    parts.push_back(extractReading(da));
  } else {
    std::vector<std::string> ns = names;
    std::unique_ptr<std::vector<Tango::DeviceAttribute>> das(c.dev->read_attributes(ns));
    st.called = nowNs();
    for (auto &da : *das) parts.push_back(extractReading(da));
  }
  auto builders = std::make_shared<std::vector<Builder>>();
  for (auto &p : parts) builders->push_back(readingBuilder(std::move(p)));
  return [builders](Napi::Env env) -> Napi::Value {
    auto a = Napi::Array::New(env, builders->size());
    for (size_t i = 0; i < builders->size(); i++) a.Set(static_cast<uint32_t>(i), (*builders)[i](env));
    return a;
  };
}

// ---------------------------------------------------------------- JS class

class Device : public Napi::ObjectWrap<Device> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Device",
                       {InstanceMethod("connect", &Device::Connect), InstanceMethod("read", &Device::Read), InstanceMethod("readNow", &Device::ReadNow),
                        InstanceMethod("write", &Device::Write), InstanceMethod("command", &Device::Command),
                        InstanceMethod("subscribe", &Device::Subscribe), InstanceMethod("unsubscribe", &Device::Unsubscribe),
                        InstanceMethod("state", &Device::State), InstanceMethod("status", &Device::Status),
                        InstanceMethod("close", &Device::Close), InstanceMethod("ref", &Device::Ref),
                        InstanceMethod("unref", &Device::Unref),
                        InstanceMethod("echo", &Device::Echo), InstanceMethod("timing", &Device::GetTiming)});
  }

  // new Device(dispatch)
  explicit Device(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Device>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "Device(dispatch): dispatch must be a function").ThrowAsJavaScriptException();
      return;
    }
    auto tsfn = Tsfn::New(env, info[0].As<Napi::Function>(), "labrig-tango", 0, 1);
    tsfn.Unref(env);
    core_ = new Core(tsfn);
  }

  // Deliberately no destructor work: an unclosed Core (proxy, worker, callbacks) is leaked so
  // nothing cppTango owns is destroyed during process teardown.
  ~Device() override = default;

 private:
  Core *core_ = nullptr;
  bool closed_ = false;

  // Queue `job` (which replies to `id` through the dispatcher).
  Napi::Value submit(const Napi::CallbackInfo &info, std::function<void()> job) {
    core_->enqueue(std::move(job));
    return info.Env().Undefined();
  }

  bool usable(const Napi::CallbackInfo &info) {
    if (closed_ || !core_) {
      Napi::Error::New(info.Env(), "tango addon device is closed").ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  // connect(id, tangoName, timeoutMs)
  Napi::Value Connect(const Napi::CallbackInfo &info) {
    if (!usable(info)) return info.Env().Undefined();
    double id = info[0].As<Napi::Number>().DoubleValue();
    std::string name = info[1].As<Napi::String>().Utf8Value();
    int tmo = info[2].As<Napi::Number>().Int32Value();
    Core *c = core_;
    c->enqueue([c, id, name, tmo] {
      c->reply(id, guarded([&] {
        if (c->dev) {
          for (auto &s : c->subs) {
            s.second.cb->dead = true;
            try {
              c->dev->unsubscribe_event(s.second.eventId);
            } catch (...) {
            }
          }
          c->subs.clear();
          delete c->dev;
          c->dev = nullptr;
        }
        c->name = name;
        c->timeout = -1;
        std::string n = name;
        c->dev = new Tango::DeviceProxy(n);
        c->setTimeout(tmo);
        return describe(*c);
      }));
    });
    return info.Env().Undefined();
  }

  // read(id, names[], timeoutMs)
  Napi::Value Read(const Napi::CallbackInfo &info) {
    if (!usable(info)) return info.Env().Undefined();
    double id = info[0].As<Napi::Number>().DoubleValue();
    auto arr = info[1].As<Napi::Array>();
    std::vector<std::string> names;
    for (uint32_t i = 0; i < arr.Length(); i++) names.push_back(arr.Get(i).As<Napi::String>().Utf8Value());
    int tmo = info[2].As<Napi::Number>().Int32Value();
    Core *c = core_;
    Stamps st;
    st.submitted = nowNs();
    return submit(info, [c, id, names, tmo, st]() mutable {
      st.started = nowNs();
      c->replyTimed(id, guarded([&]() -> Builder { return readNames(*c, names, tmo, st); }), st);
    });
  }

  // readNow(names, budgetMs): the same read made on the JS thread itself, for a device whose
  // worker is idle with nothing queued (so calls stay in order and the proxy is never used by two
  // threads). The proxy's limit for it is `budgetMs`, which bounds how long the event loop can be
  // blocked. Returns undefined when the worker is busy (use read()), else [ok, value].
  Napi::Value ReadNow(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!usable(info)) return env.Undefined();
    auto arr = info[0].As<Napi::Array>();
    std::vector<std::string> names;
    for (uint32_t i = 0; i < arr.Length(); i++) names.push_back(arr.Get(i).As<Napi::String>().Utf8Value());
    int budget = info[1].As<Napi::Number>().Int32Value();
    Core *c = core_;
    if (!c->idle()) return env.Undefined();
    Stamps st;
    st.submitted = st.started = nowNs();
    auto r = guarded([&]() -> Builder { return readNames(*c, names, budget, st); });
    int64_t built0 = nowNs();
    if (!st.called) st.called = built0;  // the call threw
    Napi::Value v = r.second ? r.second(env) : env.Undefined();
    Timing &tm = c->timing;
    tm.syncCalls += 1;
    tm.syncCall += static_cast<double>(st.called - st.started);
    tm.syncBuild += static_cast<double>(nowNs() - built0);
    auto out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Boolean::New(env, r.first));
    out.Set(1u, v);
    return out;
  }

  // write(id, name, value, timeoutMs)
  Napi::Value Write(const Napi::CallbackInfo &info) {
    if (!usable(info)) return info.Env().Undefined();
    double id = info[0].As<Napi::Number>().DoubleValue();
    std::string name = info[1].As<Napi::String>().Utf8Value();
    InVal v;
    try {
      v = fromJs(info[2]);
    } catch (InvalidInput &e) {
      core_->reply(id, {false, messageBuilder("InvalidInput", e.what())});
      return info.Env().Undefined();
    }
    int tmo = info[3].As<Napi::Number>().Int32Value();
    Core *c = core_;
    return submit(info, [c, id, name, v, tmo] {
      c->reply(id, guarded([&] {
        requireDev(*c);
        c->setTimeout(tmo);
        return writeAttr(*c, name, v);
      }));
    });
  }

  // command(id, name, hasArg, arg, timeoutMs)
  Napi::Value Command(const Napi::CallbackInfo &info) {
    if (!usable(info)) return info.Env().Undefined();
    double id = info[0].As<Napi::Number>().DoubleValue();
    std::string name = info[1].As<Napi::String>().Utf8Value();
    bool hasArg = info[2].As<Napi::Boolean>().Value();
    InVal v;
    try {
      if (hasArg) v = fromJs(info[3]);
    } catch (InvalidInput &e) {
      core_->reply(id, {false, messageBuilder("InvalidInput", e.what())});
      return info.Env().Undefined();
    }
    int tmo = info[4].As<Napi::Number>().Int32Value();
    Core *c = core_;
    return submit(info, [c, id, name, v, hasArg, tmo] {
      c->reply(id, guarded([&] {
        requireDev(*c);
        c->setTimeout(tmo);
        return runCommand(*c, name, v, hasArg);
      }));
    });
  }

  // subscribe(id, attr, sub, timeoutMs): events of `sub` arrive as dispatch(1, sub, ...)
  Napi::Value Subscribe(const Napi::CallbackInfo &info) {
    if (!usable(info)) return info.Env().Undefined();
    double id = info[0].As<Napi::Number>().DoubleValue();
    std::string attr = info[1].As<Napi::String>().Utf8Value();
    double sub = info[2].As<Napi::Number>().DoubleValue();
    int tmo = info[3].As<Napi::Number>().Int32Value();
    Core *c = core_;
    c->enqueue([c, id, attr, sub, tmo] {
      c->reply(id, guarded([&] {
        requireDev(*c);
        c->setTimeout(tmo);
        // Right after a device server restart (it answers, its event system not yet) a
        // subscription can fail with API_CantConnectToDevice: retried every 250 ms while the
        // call's time lasts (less a second for the last attempt).
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(tmo > 1000 ? tmo - 1000 : 0);
        for (;;) {
          auto *cb = new EventCb(c, sub);
          try {
            int eid = c->dev->subscribe_event(attr, Tango::CHANGE_EVENT, cb);
            c->subs[sub] = {eid, cb};
            return Builder();
          } catch (Tango::DevFailed &e) {
            cb->dead = true;  // leaked: cppTango may keep a pointer to it after a failed subscribe
            bool cantConnect = e.errors.length() > 0 && std::string(e.errors[0].reason.in()) == "API_CantConnectToDevice";
            if (!cantConnect || std::chrono::steady_clock::now() + std::chrono::milliseconds(250) > until) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
          } catch (...) {
            cb->dead = true;
            throw;
          }
        }
      }));
    });
    return info.Env().Undefined();
  }

  // unsubscribe(id, sub)
  Napi::Value Unsubscribe(const Napi::CallbackInfo &info) {
    if (!usable(info)) return info.Env().Undefined();
    double id = info[0].As<Napi::Number>().DoubleValue();
    double sub = info[1].As<Napi::Number>().DoubleValue();
    Core *c = core_;
    c->enqueue([c, id, sub] {
      c->reply(id, guarded([&] {
        auto it = c->subs.find(sub);
        if (it != c->subs.end()) {
          it->second.cb->dead = true;
          int eid = it->second.eventId;
          c->subs.erase(it);
          if (c->dev) c->dev->unsubscribe_event(eid);
        }
        return Builder();
      }));
    });
    return info.Env().Undefined();
  }

  // state(id, timeoutMs)
  Napi::Value State(const Napi::CallbackInfo &info) {
    if (!usable(info)) return info.Env().Undefined();
    double id = info[0].As<Napi::Number>().DoubleValue();
    int tmo = info[1].As<Napi::Number>().Int32Value();
    Core *c = core_;
    return submit(info, [c, id, tmo] {
      c->reply(id, guarded([&]() -> Builder {
        requireDev(*c);
        c->setTimeout(tmo);
        std::string s = stateName(c->dev->state());
        return [s](Napi::Env env) { return Napi::String::New(env, s); };
      }));
    });
  }

  // status(id, timeoutMs)
  Napi::Value Status(const Napi::CallbackInfo &info) {
    if (!usable(info)) return info.Env().Undefined();
    double id = info[0].As<Napi::Number>().DoubleValue();
    int tmo = info[1].As<Napi::Number>().Int32Value();
    Core *c = core_;
    return submit(info, [c, id, tmo] {
      c->reply(id, guarded([&]() -> Builder {
        requireDev(*c);
        c->setTimeout(tmo);
        std::string s = c->dev->status();
        return [s](Napi::Env env) { return Napi::String::New(env, s); };
      }));
    });
  }

  // close(id): unsubscribe everything, delete the proxy (while the process is alive), stop the
  // worker; the reply to `id` is the last message.
  Napi::Value Close(const Napi::CallbackInfo &info) {
    if (closed_ || !core_) return info.Env().Undefined();
    closed_ = true;
    double id = info[0].As<Napi::Number>().DoubleValue();
    Core *c = core_;
    c->enqueue([c, id] {
      for (auto &s : c->subs) {
        s.second.cb->dead = true;
        try {
          if (c->dev) c->dev->unsubscribe_event(s.second.eventId);
        } catch (...) {
        }
      }
      c->subs.clear();
      try {
        delete c->dev;
      } catch (...) {
      }
      c->dev = nullptr;
      c->reply(id, {true, Builder()});
      c->release();
      c->stop();
    });
    return info.Env().Undefined();
  }

  // echo(id): a reply from the worker without any Tango call (measures the thread round trip).
  Napi::Value Echo(const Napi::CallbackInfo &info) {
    if (!usable(info)) return info.Env().Undefined();
    double id = info[0].As<Napi::Number>().DoubleValue();
    Core *c = core_;
    return submit(info, [c, id] { c->reply(id, {true, Builder()}); });
  }

  // timing(reset): the read totals (see Timing), in ns; `reset` true zeroes them after.
  Napi::Value GetTiming(const Napi::CallbackInfo &info) {
    auto o = Napi::Object::New(info.Env());
    if (!core_) return o;
    Timing &t = core_->timing;
    for (const auto &f : kTimingFields) o.Set(f.first, t.*f.second);
    if (info.Length() > 0 && info[0].ToBoolean().Value()) t = Timing();
    return o;
  }

  Napi::Value Ref(const Napi::CallbackInfo &info) {
    if (!closed_ && core_) core_->tsfn_.Ref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo &info) {
    if (!closed_ && core_) core_->tsfn_.Unref(info.Env());
    return info.Env().Undefined();
  }
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Device", Device::Init(env));
  exports.Set("tangoVersion", Napi::String::New(env, Tango::TgLibVers));
  return exports;
}

}  // namespace

NODE_API_MODULE(labrig_tango, Init)
