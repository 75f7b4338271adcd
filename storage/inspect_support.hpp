#pragma once

// Inspection of the standard types CAF 0.17 does not know: std::optional, std::variant and
// std::shared_ptr<const T>, plus model enums for the stringification inspector.
//
// CAF finds an `inspect` overload by argument-dependent lookup through the inspector:
// caf::serializer and caf::deserializer live in `caf`, caf::detail::stringification_inspector
// in `caf::detail`. The overloads below are declared in `caf` and made visible in
// `caf::detail`, so they work for `std::optional<std::int64_t>` as well as for model types.
//
// Every overload works with all three inspectors, as `add_message_type<T>` instantiates all:
// a state-reading inspector (serializer, stringification) sees the discriminator and then the
// held value; the deserializer reads the discriminator first and builds the value from it.

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace caf {

/// An optional: a presence flag, then the value when present.
template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, std::optional<T>& x) {
  if constexpr (Inspector::reads_state) {
    bool present = x.has_value();
    if (present) return f(present, *x);
    return f(present);
  } else {
    bool present = false;
    if (auto err = f(present)) return err;
    if (!present) {
      x.reset();
      return {};
    }
    T value{};
    if (auto err = f(value)) return err;
    x = std::move(value);
    return {};
  }
}

/// A variant: the index of its alternative as one byte, then the alternative.
template <class Inspector, class... Ts>
typename Inspector::result_type inspect(Inspector& f, std::variant<Ts...>& x) {
  static_assert(sizeof...(Ts) <= 255, "the index is stored in one byte");
  if constexpr (Inspector::reads_state) {
    auto index = static_cast<std::uint8_t>(x.index());
    return std::visit([&](auto& alternative) ->
                      typename Inspector::result_type { return f(index, alternative); },
                      x);
  } else {
    std::uint8_t index = 0;
    if (auto err = f(index)) return err;
    return [&]<std::size_t... I>(std::index_sequence<I...>)->typename Inspector::result_type {
      typename Inspector::result_type result =
          make_error(sec::invalid_argument, "variant index out of range");
      // Exactly one alternative matches a valid index; it is built in place and read.
      (void)((index == I ? (result = f(x.template emplace<I>()), true) : false) || ...);
      return result;
    }
    (std::index_sequence_for<Ts...>{});
  }
}

/// A shared immutable value: a presence flag, then the value. Loading makes a new object.
template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, std::shared_ptr<const T>& x) {
  if constexpr (Inspector::reads_state) {
    bool present = x != nullptr;
    if (present) return f(present, const_cast<T&>(*x));
    return f(present);
  } else {
    bool present = false;
    if (auto err = f(present)) return err;
    if (!present) {
      x.reset();
      return {};
    }
    auto value = std::make_shared<T>();
    if (auto err = f(*value)) return err;
    x = std::move(value);
    return {};
  }
}

namespace detail {

// The stringification inspector's namespace: lookup through it must find the same overloads.
using caf::inspect;

}  // namespace detail

}  // namespace caf

namespace baton::model {

/// Model enums print as their underlying integer. Only for inspectors without a result
/// (stringification): the serializers handle enums themselves, and a second way would be
/// ambiguous for them.
template <class Inspector, class E>
requires std::is_enum_v<E> && std::is_void_v<typename Inspector::result_type>
void inspect(Inspector& f, E& x) {
  auto underlying = static_cast<std::underlying_type_t<E>>(x);
  if constexpr (sizeof(underlying) == 1) {
    f(static_cast<int>(underlying));
  } else {
    f(underlying);
  }
}

}  // namespace baton::model
