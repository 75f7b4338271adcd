#pragma once

#include <caf/detail/ieee_754.hpp>
#include <caf/error.hpp>
#include <caf/meta/annotation.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "storage/inspect.hpp"

namespace baton::storage {

/// Reads what `caf::serializer_impl` wrote (CAF 0.17's binary format) through the same
/// `inspect` functions, without CAF's deserializer. Why: that one is a virtual call and a
/// `caf::error` made and destroyed per field, which made decoding a 150-byte process take
/// 600 ns and cost every status read a tenth of its CPU. This reader knows the handful of
/// types the stored records are made of; anything else does not compile.
///
/// The format: integers big-endian at their own width, bool as one byte, enums as their
/// underlying integer, doubles as CAF's IEEE 754 packing in 8 bytes, strings and sequences
/// as a varbyte length (7 bits a byte, high bit = more) then their elements, pairs and map
/// entries as first then second.
/// `tests/storage/record_reader_test.cpp` holds it to CAF's own deserializer.
class record_reader {
 public:
  /// What an `inspect` function returns: whether reading failed. Made from a `caf::error`
  /// on the rare failing paths of the inspect functions (an unknown kind, a bad index).
  struct result_type {
    bool failed = false;
    result_type() = default;
    result_type(const caf::error& e) : failed(static_cast<bool>(e)) {}  // NOLINT: implicit
    explicit operator bool() const { return failed; }
  };
  static constexpr bool reads_state = false;
  static constexpr bool writes_state = true;

  record_reader(const char* data, std::size_t size) : pos_(data), end_(data + size) {}

  std::size_t remaining() const { return static_cast<std::size_t>(end_ - pos_); }

  template <class... Ts>
  result_type operator()(Ts&&... xs) {
    bool ok = (read(xs) && ...);
    return ok ? result_type{} : failure();
  }

 private:
  static result_type failure() {
    result_type r;
    r.failed = true;
    return r;
  }

  template <class T>
  bool read(T& x) {
    using caf::inspect;  // the overloads for std::optional, std::variant, std::shared_ptr
    if constexpr (caf::meta::is_annotation<std::remove_cv_t<T>>::value) {
      return true;
    } else if constexpr (std::is_same_v<T, bool>) {
      std::uint8_t byte = 0;
      if (!read_int(byte)) return false;
      x = byte != 0;
      return true;
    } else if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> raw{};
      if (!read_int(raw)) return false;
      x = static_cast<T>(raw);
      return true;
    } else if constexpr (std::is_integral_v<T>) {
      return read_int(x);
    } else if constexpr (std::is_same_v<T, double>) {
      std::uint64_t packed = 0;
      if (!read_int(packed)) return false;
      x = caf::detail::unpack754(packed);
      return true;
    } else if constexpr (std::is_same_v<T, std::string>) {
      std::size_t n = 0;
      if (!read_size(n) || remaining() < n) return false;
      x.assign(pos_, n);
      pos_ += n;
      return true;
    } else if constexpr (is_vector<T>::value) {
      std::size_t n = 0;
      if (!read_size(n)) return false;
      x.clear();
      x.reserve(std::min(n, remaining()));  // a damaged length must not reserve gigabytes
      for (std::size_t i = 0; i < n; ++i) {
        if (!read(x.emplace_back())) return false;
      }
      return true;
    } else if constexpr (is_map<T>::value) {
      std::size_t n = 0;
      if (!read_size(n)) return false;
      x.clear();
      for (std::size_t i = 0; i < n; ++i) {
        typename T::key_type key;
        typename T::mapped_type value;
        if (!read(key) || !read(value)) return false;
        x.emplace_hint(x.end(), std::move(key), std::move(value));
      }
      return true;
    } else if constexpr (is_pair<T>::value) {
      return read(x.first) && read(x.second);
    } else {
      return !inspect(*this, x);
    }
  }

  template <class Int>
  bool read_int(Int& x) {
    using U = std::make_unsigned_t<Int>;
    if (remaining() < sizeof(U)) return false;
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) {
      v = static_cast<U>((v << 8) | static_cast<std::uint8_t>(pos_[i]));
    }
    pos_ += sizeof(U);
    x = static_cast<Int>(v);
    return true;
  }

  /// A varbyte length as `begin_sequence` writes it: at most 32 bits, in five bytes.
  bool read_size(std::size_t& n) {
    std::uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (pos_ == end_) return false;
      auto byte = static_cast<std::uint8_t>(*pos_++);
      v |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        n = v;
        return true;
      }
    }
    return false;
  }

  template <class T>
  struct is_vector : std::false_type {};
  template <class T, class A>
  struct is_vector<std::vector<T, A>> : std::true_type {};
  template <class T>
  struct is_pair : std::false_type {};
  template <class A, class B>
  struct is_pair<std::pair<A, B>> : std::true_type {};
  template <class T>
  struct is_map : std::false_type {};
  template <class K, class V, class C, class A>
  struct is_map<std::map<K, V, C, A>> : std::true_type {};

  const char* pos_;
  const char* end_;
};

}  // namespace baton::storage
