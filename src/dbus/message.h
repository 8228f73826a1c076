// src/dbus/message.h — D-Bus messages and their wire format (the subset cnikit needs).
//
// A D-Bus message is a fixed 12-byte header (endianness, type, flags, version, body length,
// serial), an array of (code, variant) header fields, padding to 8 and the body. Every value is
// aligned to its own size (strings to 4, structs to 8) counted from the start of the message;
// the body starts 8-aligned, so counting from the body start gives the same padding. We always
// write little-endian ('l') and read both byte orders.
//
// Body values are written with BodyWriter (basic types and string arrays) and read with
// BodyReader, which checks each value against the message's signature. That is all a CNI plugin
// talking to firewalld and to the bus daemon needs; containers of other shapes are skipped when
// they appear in header fields and refused in bodies.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"

namespace cni::dbus {

enum class MessageType : uint8_t {
  kInvalid = 0,
  kMethodCall = 1,
  kMethodReturn = 2,
  kError = 3,
  kSignal = 4,
};

inline constexpr uint8_t kFlagNoReplyExpected = 0x1;
inline constexpr uint8_t kFlagNoAutoStart = 0x2;

// The spec's hard limit is 128 MiB; nothing we exchange comes near 1 MiB.
inline constexpr size_t kMaxMessageSize = 16u << 20;

struct Message {
  MessageType type = MessageType::kInvalid;
  uint8_t flags = 0;
  uint32_t serial = 0;
  uint32_t reply_serial = 0;  // returns and errors
  std::string path;           // object path (calls, signals)
  std::string interface;
  std::string member;
  std::string error_name;  // errors
  std::string destination;
  std::string sender;
  std::string signature;      // of the body
  std::vector<uint8_t> body;  // little-endian when we built it; see body_big_endian
  bool body_big_endian = false;

  // A method call with an empty body (add arguments with BodyWriter and setBody).
  static Message methodCall(std::string_view destination, std::string_view path,
                            std::string_view interface, std::string_view member);
  // A reply / error reply to `call` (the error's text, if any, is its first string argument).
  static Message methodReturn(const Message& call);
  static Message errorReply(const Message& call, std::string_view error_name,
                            std::string_view text);

  // The first string argument of an error reply ("" when there is none).
  std::string errorText() const;
};

// Serializes `m` (serial must be set). Fails on names that do not fit the wire format.
Expected<std::vector<uint8_t>> encode(const Message& m);

// How many bytes the message starting at `data` occupies, once its first 16 bytes are there
// (nullopt: fewer than 16 bytes yet). Fails on a malformed fixed header or an oversized message.
Expected<std::optional<size_t>> messageSize(std::span<const uint8_t> data);
// Parses one complete message (`data` is exactly messageSize() bytes).
Expected<Message> decode(std::span<const uint8_t> data);

// Appends body values, recording the signature.
class BodyWriter {
 public:
  BodyWriter& byte(uint8_t v);
  BodyWriter& boolean(bool v);
  BodyWriter& uint32(uint32_t v);
  BodyWriter& int32(int32_t v);
  BodyWriter& string(std::string_view s);
  BodyWriter& objectPath(std::string_view s);
  BodyWriter& stringArray(const std::vector<std::string>& v);

  const std::string& signature() const { return sig_; }
  const std::vector<uint8_t>& bytes() const { return buf_; }
  // Moves signature and bytes into `m` (the writer is left empty).
  void into(Message& m);

 private:
  void pad(size_t align);
  void u32raw(uint32_t v);
  std::vector<uint8_t> buf_;
  std::string sig_;
};

// Reads body values in signature order; each getter fails when the next value has another type.
class BodyReader {
 public:
  explicit BodyReader(const Message& m);

  Expected<uint8_t> byte();
  Expected<bool> boolean();
  Expected<uint32_t> uint32();
  Expected<int32_t> int32();
  Expected<std::string> string();  // 's' or 'o'
  Expected<std::vector<std::string>> stringArray();
  bool atEnd() const { return sig_pos_ >= sig_.size(); }

 private:
  Status expect(char type);
  Status align(size_t n);
  Expected<uint32_t> rawU32();
  Expected<std::string> rawString();

  std::span<const uint8_t> data_;
  std::string sig_;
  size_t sig_pos_ = 0;
  size_t pos_ = 0;
  bool big_endian_ = false;
};

}  // namespace cni::dbus
