// src/dbus/message.cc — D-Bus wire format: encoding, decoding, body values (see message.h).
#include "src/dbus/message.h"

namespace cni::dbus {
namespace {

// Header field codes.
enum : uint8_t {
  kFieldPath = 1,
  kFieldInterface = 2,
  kFieldMember = 3,
  kFieldErrorName = 4,
  kFieldReplySerial = 5,
  kFieldDestination = 6,
  kFieldSender = 7,
  kFieldSignature = 8,
};

Error malformed(std::string_view what) {
  return Error(ErrorCode::kDecodingFailure, "dbus: malformed message: " + std::string(what));
}

size_t padTo(size_t pos, size_t align) { return (pos + align - 1) / align * align; }

// Appends values to a buffer whose offset 0 is 8-aligned in the message.
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& buf) : buf_(buf) {}
  void pad(size_t align) { buf_.resize(padTo(buf_.size(), align), 0); }
  void byte(uint8_t v) { buf_.push_back(v); }
  void u32(uint32_t v) {
    pad(4);
    for (int i = 0; i < 4; ++i) buf_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    buf_.insert(buf_.end(), s.begin(), s.end());
    buf_.push_back(0);
  }
  void sig(std::string_view s) {
    buf_.push_back(static_cast<uint8_t>(s.size()));
    buf_.insert(buf_.end(), s.begin(), s.end());
    buf_.push_back(0);
  }
  size_t size() const { return buf_.size(); }
  void patchU32(size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) buf_[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }

 private:
  std::vector<uint8_t>& buf_;
};

// Reads values from `data` (offset 0 is 8-aligned in the message) in either byte order.
class Reader {
 public:
  Reader(std::span<const uint8_t> data, bool big_endian) : data_(data), big_(big_endian) {}

  size_t pos() const { return pos_; }
  void seek(size_t p) { pos_ = p; }
  Status align(size_t n) {
    size_t p = padTo(pos_, n);
    if (p > data_.size()) return fail(malformed("truncated padding"));
    for (size_t i = pos_; i < p; ++i) {
      if (data_[i] != 0) return fail(malformed("non-zero padding"));
    }
    pos_ = p;
    return {};
  }
  Expected<uint64_t> uint(size_t n) {
    CNI_TRY(align(n));
    if (pos_ + n > data_.size()) return fail(malformed("truncated value"));
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      const uint8_t b = data_[pos_ + (big_ ? i : n - 1 - i)];
      v = (v << 8) | b;
    }
    pos_ += n;
    return v;
  }
  Expected<std::string> str() {
    CNI_ASSIGN_OR_RETURN(uint64_t len, uint(4));
    if (pos_ + len + 1 > data_.size()) return fail(malformed("truncated string"));
    std::string s(reinterpret_cast<const char*>(data_.data() + pos_), len);
    if (data_[pos_ + len] != 0) return fail(malformed("string without NUL"));
    pos_ += len + 1;
    return s;
  }
  Expected<std::string> sig() {
    if (pos_ >= data_.size()) return fail(malformed("truncated signature"));
    const size_t len = data_[pos_++];
    if (pos_ + len + 1 > data_.size()) return fail(malformed("truncated signature"));
    std::string s(reinterpret_cast<const char*>(data_.data() + pos_), len);
    pos_ += len + 1;
    return s;
  }

  // Skips one complete type starting at sig[*i]; advances *i past it.
  Status skip(std::string_view sig, size_t* i, int depth = 0) {
    if (depth > 32) return fail(malformed("nesting too deep"));
    if (*i >= sig.size()) return fail(malformed("bad signature"));
    const char t = sig[(*i)++];
    switch (t) {
      case 'y':
        CNI_TRY(uint(1));
        return {};
      case 'n':
      case 'q':
        CNI_TRY(uint(2));
        return {};
      case 'b':
      case 'i':
      case 'u':
      case 'h':
        CNI_TRY(uint(4));
        return {};
      case 'x':
      case 't':
      case 'd':
        CNI_TRY(uint(8));
        return {};
      case 's':
      case 'o':
        CNI_TRY(str());
        return {};
      case 'g':
        CNI_TRY(this->sig());
        return {};
      case 'v': {
        CNI_ASSIGN_OR_RETURN(std::string inner, this->sig());
        size_t j = 0;
        CNI_TRY(skip(inner, &j, depth + 1));
        if (j != inner.size()) return fail(malformed("variant holds more than one type"));
        return {};
      }
      case 'a': {
        CNI_ASSIGN_OR_RETURN(uint64_t len, uint(4));
        const size_t elem = *i;
        size_t after = elem;
        // Element alignment: 8 for structs and dict entries, else the basic type's.
        const char e = elem < sig.size() ? sig[elem] : '\0';
        CNI_TRY(align(e == '(' || e == '{' || e == 'x' || e == 't' || e == 'd' ? 8
                      : e == 'y' || e == 'g' || e == 'v'                       ? 1
                      : e == 'n' || e == 'q'                                   ? 2
                                                                               : 4));
        const size_t end = pos_ + len;
        if (end > data_.size()) return fail(malformed("truncated array"));
        if (len == 0) {
          // Still consume the element type from the signature.
          return skipSignature(sig, i, depth);
        }
        while (pos_ < end) {
          after = elem;
          CNI_TRY(skip(sig, &after, depth + 1));
        }
        if (pos_ != end) return fail(malformed("array length mismatch"));
        *i = after;
        return {};
      }
      case '(':
      case '{': {
        const char close = t == '(' ? ')' : '}';
        CNI_TRY(align(8));
        while (*i < sig.size() && sig[*i] != close) CNI_TRY(skip(sig, i, depth + 1));
        if (*i >= sig.size()) return fail(malformed("unterminated struct signature"));
        ++*i;
        return {};
      }
      default:
        return fail(malformed(std::string("unsupported type '") + t + "'"));
    }
  }

 private:
  // Advances *i past one complete type in `sig` without reading data (empty arrays).
  static Status skipSignature(std::string_view sig, size_t* i, int depth) {
    if (depth > 32 || *i >= sig.size()) return fail(malformed("bad signature"));
    const char t = sig[(*i)++];
    if (t == 'a') return skipSignature(sig, i, depth + 1);
    if (t == '(' || t == '{') {
      const char close = t == '(' ? ')' : '}';
      while (*i < sig.size() && sig[*i] != close) CNI_TRY(skipSignature(sig, i, depth + 1));
      if (*i >= sig.size()) return fail(malformed("unterminated struct signature"));
      ++*i;
    }
    return {};
  }

  std::span<const uint8_t> data_;
  bool big_ = false;
  size_t pos_ = 0;
};

void putStringField(Writer& w, uint8_t code, char type, std::string_view value) {
  if (value.empty()) return;
  w.pad(8);
  w.byte(code);
  w.sig(std::string_view(&type, 1));
  if (type == 'g') {
    w.sig(value);
  } else {
    w.str(value);
  }
}

}  // namespace

Message Message::methodCall(std::string_view destination, std::string_view path,
                            std::string_view interface, std::string_view member) {
  Message m;
  m.type = MessageType::kMethodCall;
  m.destination = destination;
  m.path = path;
  m.interface = interface;
  m.member = member;
  return m;
}

Message Message::methodReturn(const Message& call) {
  Message m;
  m.type = MessageType::kMethodReturn;
  m.flags = kFlagNoReplyExpected;
  m.reply_serial = call.serial;
  m.destination = call.sender;
  return m;
}

Message Message::errorReply(const Message& call, std::string_view error_name,
                            std::string_view text) {
  Message m = methodReturn(call);
  m.type = MessageType::kError;
  m.error_name = error_name;
  BodyWriter w;
  w.string(text);
  w.into(m);
  return m;
}

std::string Message::errorText() const {
  if (signature.empty() || signature[0] != 's') return "";
  BodyReader r(*this);
  auto s = r.string();
  return s ? *s : "";
}

Expected<std::vector<uint8_t>> encode(const Message& m) {
  if (m.serial == 0) return fail(ErrorCode::kInternal, "dbus: message without serial");
  if (m.signature.size() > 255) return fail(ErrorCode::kInternal, "dbus: signature too long");
  std::vector<uint8_t> buf;
  Writer w(buf);
  w.byte('l');
  w.byte(static_cast<uint8_t>(m.type));
  w.byte(m.flags);
  w.byte(1);  // protocol version
  w.u32(static_cast<uint32_t>(m.body.size()));
  w.u32(m.serial);
  const size_t len_at = w.size();
  w.u32(0);                              // header field array length, patched below
  const size_t fields_start = w.size();  // 16: already 8-aligned
  putStringField(w, kFieldPath, 'o', m.path);
  putStringField(w, kFieldInterface, 's', m.interface);
  putStringField(w, kFieldMember, 's', m.member);
  putStringField(w, kFieldErrorName, 's', m.error_name);
  if (m.reply_serial != 0) {
    w.pad(8);
    w.byte(kFieldReplySerial);
    w.sig("u");
    w.u32(m.reply_serial);
  }
  putStringField(w, kFieldDestination, 's', m.destination);
  putStringField(w, kFieldSender, 's', m.sender);
  putStringField(w, kFieldSignature, 'g', m.signature);
  w.patchU32(len_at, static_cast<uint32_t>(w.size() - fields_start));
  w.pad(8);
  if (m.body_big_endian && !m.body.empty()) {
    return fail(ErrorCode::kInternal, "dbus: cannot re-send a big-endian body");
  }
  buf.insert(buf.end(), m.body.begin(), m.body.end());
  if (buf.size() > kMaxMessageSize) return fail(ErrorCode::kInternal, "dbus: message too large");
  return buf;
}

Expected<std::optional<size_t>> messageSize(std::span<const uint8_t> data) {
  if (data.size() < 16) return std::optional<size_t>();
  if (data[0] != 'l' && data[0] != 'B') return fail(malformed("bad endianness byte"));
  if (data[3] != 1) return fail(malformed("unsupported protocol version"));
  Reader r(data.first(16), data[0] == 'B');
  r.seek(4);
  CNI_ASSIGN_OR_RETURN(uint64_t body_len, r.uint(4));
  r.seek(12);
  CNI_ASSIGN_OR_RETURN(uint64_t fields_len, r.uint(4));
  const uint64_t total = padTo(16 + fields_len, 8) + body_len;
  if (total > kMaxMessageSize) return fail(malformed("message too large"));
  return std::optional<size_t>(static_cast<size_t>(total));
}

Expected<Message> decode(std::span<const uint8_t> data) {
  CNI_ASSIGN_OR_RETURN(auto size, messageSize(data));
  if (!size || *size != data.size()) return fail(malformed("length mismatch"));
  const bool big = data[0] == 'B';
  Reader r(data, big);
  Message m;
  m.type = static_cast<MessageType>(data[1]);
  m.flags = data[2];
  r.seek(4);
  CNI_ASSIGN_OR_RETURN(uint64_t body_len, r.uint(4));
  CNI_ASSIGN_OR_RETURN(uint64_t serial, r.uint(4));
  CNI_ASSIGN_OR_RETURN(uint64_t fields_len, r.uint(4));
  m.serial = static_cast<uint32_t>(serial);
  const size_t fields_end = 16 + fields_len;
  while (r.pos() < fields_end) {
    CNI_TRY(r.align(8));
    CNI_ASSIGN_OR_RETURN(uint64_t code, r.uint(1));
    CNI_ASSIGN_OR_RETURN(std::string sig, r.sig());
    auto take = [&](std::string* out, char want) -> Status {
      if (sig.size() != 1 || sig[0] != want) return fail(malformed("header field type"));
      CNI_ASSIGN_OR_RETURN(*out, want == 'g' ? r.sig() : r.str());
      return {};
    };
    switch (code) {
      case kFieldPath:
        CNI_TRY(take(&m.path, 'o'));
        break;
      case kFieldInterface:
        CNI_TRY(take(&m.interface, 's'));
        break;
      case kFieldMember:
        CNI_TRY(take(&m.member, 's'));
        break;
      case kFieldErrorName:
        CNI_TRY(take(&m.error_name, 's'));
        break;
      case kFieldDestination:
        CNI_TRY(take(&m.destination, 's'));
        break;
      case kFieldSender:
        CNI_TRY(take(&m.sender, 's'));
        break;
      case kFieldSignature:
        CNI_TRY(take(&m.signature, 'g'));
        break;
      case kFieldReplySerial: {
        if (sig != "u") return fail(malformed("header field type"));
        CNI_ASSIGN_OR_RETURN(uint64_t v, r.uint(4));
        m.reply_serial = static_cast<uint32_t>(v);
        break;
      }
      default: {  // unknown fields (UNIX_FDS, future ones) are skipped
        size_t i = 0;
        CNI_TRY(r.skip(sig, &i));
        break;
      }
    }
  }
  if (r.pos() != fields_end) return fail(malformed("header fields overrun"));
  const size_t body_start = padTo(fields_end, 8);
  if (body_start + body_len != data.size()) return fail(malformed("body length"));
  m.body.assign(data.begin() + static_cast<ptrdiff_t>(body_start), data.end());
  m.body_big_endian = big;
  return m;
}

// --- BodyWriter -------------------------------------------------------------------------------

void BodyWriter::pad(size_t align) { buf_.resize(padTo(buf_.size(), align), 0); }

void BodyWriter::u32raw(uint32_t v) {
  Writer w(buf_);
  w.u32(v);
}

BodyWriter& BodyWriter::byte(uint8_t v) {
  buf_.push_back(v);
  sig_ += 'y';
  return *this;
}

BodyWriter& BodyWriter::boolean(bool v) {
  u32raw(v ? 1 : 0);
  sig_ += 'b';
  return *this;
}

BodyWriter& BodyWriter::uint32(uint32_t v) {
  u32raw(v);
  sig_ += 'u';
  return *this;
}

BodyWriter& BodyWriter::int32(int32_t v) {
  u32raw(static_cast<uint32_t>(v));
  sig_ += 'i';
  return *this;
}

BodyWriter& BodyWriter::string(std::string_view s) {
  Writer(buf_).str(s);
  sig_ += 's';
  return *this;
}

BodyWriter& BodyWriter::objectPath(std::string_view s) {
  Writer(buf_).str(s);
  sig_ += 'o';
  return *this;
}

BodyWriter& BodyWriter::stringArray(const std::vector<std::string>& v) {
  Writer w(buf_);
  w.u32(0);
  const size_t len_at = buf_.size() - 4;
  const size_t start = buf_.size();  // strings align to 4: no padding after the length
  for (const std::string& s : v) w.str(s);
  w.patchU32(len_at, static_cast<uint32_t>(buf_.size() - start));
  sig_ += "as";
  return *this;
}

void BodyWriter::into(Message& m) {
  m.signature = std::move(sig_);
  m.body = std::move(buf_);
  m.body_big_endian = false;
}

// --- BodyReader -------------------------------------------------------------------------------

BodyReader::BodyReader(const Message& m)
    : data_(m.body), sig_(m.signature), big_endian_(m.body_big_endian) {}

Status BodyReader::expect(char type) {
  if (sig_pos_ >= sig_.size()) return fail(malformed("missing argument"));
  if (sig_[sig_pos_] != type) {
    return fail(
        malformed(std::string("argument of type '") + sig_[sig_pos_] + "', want '" + type + "'"));
  }
  ++sig_pos_;
  return {};
}

Status BodyReader::align(size_t n) {
  Reader r(data_, big_endian_);
  r.seek(pos_);
  CNI_TRY(r.align(n));
  pos_ = r.pos();
  return {};
}

Expected<uint32_t> BodyReader::rawU32() {
  Reader r(data_, big_endian_);
  r.seek(pos_);
  CNI_ASSIGN_OR_RETURN(uint64_t v, r.uint(4));
  pos_ = r.pos();
  return static_cast<uint32_t>(v);
}

Expected<std::string> BodyReader::rawString() {
  Reader r(data_, big_endian_);
  r.seek(pos_);
  CNI_ASSIGN_OR_RETURN(std::string s, r.str());
  pos_ = r.pos();
  return s;
}

Expected<uint8_t> BodyReader::byte() {
  CNI_TRY(expect('y'));
  if (pos_ >= data_.size()) return fail(malformed("truncated byte"));
  return data_[pos_++];
}

Expected<bool> BodyReader::boolean() {
  CNI_TRY(expect('b'));
  CNI_ASSIGN_OR_RETURN(uint32_t v, rawU32());
  if (v > 1) return fail(malformed("boolean out of range"));
  return v == 1;
}

Expected<uint32_t> BodyReader::uint32() {
  CNI_TRY(expect('u'));
  return rawU32();
}

Expected<int32_t> BodyReader::int32() {
  CNI_TRY(expect('i'));
  CNI_ASSIGN_OR_RETURN(uint32_t v, rawU32());
  return static_cast<int32_t>(v);
}

Expected<std::string> BodyReader::string() {
  if (sig_pos_ < sig_.size() && sig_[sig_pos_] == 'o') {
    ++sig_pos_;
    return rawString();
  }
  CNI_TRY(expect('s'));
  return rawString();
}

Expected<std::vector<std::string>> BodyReader::stringArray() {
  if (sig_.compare(sig_pos_, 2, "as") != 0) return fail(malformed("argument is not 'as'"));
  sig_pos_ += 2;
  CNI_ASSIGN_OR_RETURN(uint32_t len, rawU32());
  const size_t end = pos_ + len;
  if (end > data_.size()) return fail(malformed("truncated array"));
  std::vector<std::string> out;
  while (pos_ < end) {
    CNI_ASSIGN_OR_RETURN(std::string s, rawString());
    out.push_back(std::move(s));
  }
  if (pos_ != end) return fail(malformed("array length mismatch"));
  return out;
}

}  // namespace cni::dbus
