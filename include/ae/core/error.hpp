#pragma once
// Error types. Every failure caused by user input (shapes, files, hyperparameters)
// throws one of these; library code never aborts on user input.
#include <stdexcept>
#include <string>

namespace ae {

/// Base of every error ae throws on purpose.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A tensor or layer has the wrong shape (message names where, expected and found).
class ShapeError : public Error {
public:
    using Error::Error;
};

/// An invalid hyperparameter or configuration (learning rate <= 0, batch size 0, ...).
class ConfigError : public Error {
public:
    using Error::Error;
};

/// The operating system refused a file operation (missing folder, permissions, disk full).
class IoError : public Error {
public:
    using Error::Error;
};

/// A file's contents are not what its format requires (bad magic, truncated, checksum).
class FormatError : public Error {
public:
    using Error::Error;
};

} // namespace ae
