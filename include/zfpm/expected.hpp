#pragma once
// One shape for "a value, or why there is none": std::expected's (C++23) small subset that zfpm
// uses, so that a function's failure is its return value rather than a sentinel (-1, nullopt, an
// out-parameter). Constructed from a value, or from Unexpected(error).
#include <type_traits>
#include <utility>
#include <variant>

namespace zfpm {

template <typename E>
struct Unexpected {
  E error;
};
template <typename E>
Unexpected(E) -> Unexpected<E>;

template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  template <typename G>
    requires std::is_constructible_v<E, G>
  Expected(Unexpected<G> error) : state_(std::in_place_index<1>, std::move(error.error)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& operator*() & { return std::get<0>(state_); }
  const T& operator*() const& { return std::get<0>(state_); }
  T&& operator*() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &std::get<0>(state_); }
  const T* operator->() const { return &std::get<0>(state_); }

  // Only without a value.
  const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

}  // namespace zfpm
