// yesno/result.h — the one error type of yesno_core.
//
// Anything that can fail returns `Result<T>` (or `Status` when there is no
// value). A bad signature is a value, not an exception: core is fuzzable and
// the servers map an `ErrorCode` to an HTTP status without any detail.
#ifndef YESNO_RESULT_H_
#define YESNO_RESULT_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace yesno {

// ErrorCode is deliberately coarse: `message` carries the detail, for logs only.
enum class ErrorCode {
  kInvalidArgument,     // the caller passed something that can never work
  kMalformedInput,      // bytes from outside failed to parse
  kVerificationFailed,  // well-formed, but a signature/tag/check did not hold
  kCryptoFailure,       // the crypto library failed (allocation, internal error)
  kUnavailable,         // a dependency (store, network) could not be reached
  kInternal,            // a bug
};

std::string_view ErrorCodeName(ErrorCode code);

// Error is a code plus a message for logs. `message` never contains secrets.
struct Error {
  ErrorCode code;
  std::string message;
};

// Result<T> holds either a T or an Error. Its API follows std::expected<T, Error>.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const Error& error() const { return std::get<1>(v_); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

// Status is a Result without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  static Status Ok() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

// MakeError is shorthand for Error{code, message}.
inline Error MakeError(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace yesno

#endif  // YESNO_RESULT_H_
