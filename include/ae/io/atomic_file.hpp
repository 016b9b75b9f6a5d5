#pragma once
// Atomic file replacement (POSIX), so an interrupted or failed save never damages the file
// already at the path:
//   1. write into a new temporary file in the SAME folder (rename is atomic only within one
//      file system): ".<name>.<random>.tmp", created with O_EXCL;
//   2. fsync it, so its data is on disk before it gets the real name;
//   3. rename it over the target (readers see the old file or the new one, never a mix);
//   4. fsync the folder, so the rename itself survives a power cut.
// On any failure before the rename the temporary file is removed and IoError names the path,
// the step and strerror; the previous file is untouched.
//   AtomicFile f(path); f.write(header, 32); f.write(payload.data(), payload.size()); f.commit();
// Dropping an AtomicFile without commit() discards what was written.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ae/core/error.hpp"

namespace ae {

class AtomicFile {
public:
    /// Create the temporary file next to `path`. IoError if the folder is missing or refuses it.
    explicit AtomicFile(std::string path) : path_(std::move(path)) {
        const std::size_t slash = path_.rfind('/');
        const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
        folder_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
        if (base.empty() || base == "." || base == "..")
            throw IoError("cannot write '" + path_ + "': the path names a folder, not a file");
        // Keep the temporary name within NAME_MAX (255) however long the real name is.
        const std::string stem = "." + base.substr(0, 200) + ".";
        const std::string dir_prefix = slash == std::string::npos ? "" : path_.substr(0, slash + 1);
        for (int attempt = 0; attempt < 64; ++attempt) {
            temp_ = dir_prefix + stem + random_hex() + ".tmp";
            fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd_ >= 0) return;
            if (errno != EEXIST) fail("create temporary file '" + temp_ + "'", errno);
        }
        fail("create temporary file '" + temp_ + "'", EEXIST);
    }

    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    ~AtomicFile() { discard(); }

    const std::string& path() const { return path_; }
    const std::string& temp_path() const { return temp_; }

    /// Append n bytes (retrying short writes). IoError (temporary file removed) on failure.
    void write(const void* data, std::size_t n) {
        check_open("write");
        const auto* p = static_cast<const char*>(data);
        while (n > 0) {
            const ssize_t w = ::write(fd_, p, n);
            if (w < 0) {
                if (errno == EINTR) continue;
                fail("write temporary file '" + temp_ + "'", errno);
            }
            p += w;
            n -= std::size_t(w);
        }
    }
    void write(const std::vector<std::uint8_t>& bytes) { write(bytes.data(), bytes.size()); }

    /// fsync, close, rename over the target, fsync the folder.
    void commit() {
        check_open("commit");
        if (::fsync(fd_) != 0) fail("flush temporary file '" + temp_ + "'", errno);
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) fail("close temporary file '" + temp_ + "'", errno);
        if (::rename(temp_.c_str(), path_.c_str()) != 0) fail("rename '" + temp_ + "' over it", errno);
        temp_.clear();  // it is the target now: nothing left to clean up
        sync_folder();
    }

private:
    void check_open(const char* what) const {
        if (fd_ < 0 || temp_.empty())
            throw IoError("cannot write '" + path_ + "': " + what + " after the file was committed or failed");
    }

    // Close and remove the temporary file, if any (never throws).
    void discard() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        if (!temp_.empty()) ::unlink(temp_.c_str());
        temp_.clear();
    }

    [[noreturn]] void fail(const std::string& step, int err) {
        discard();
        throw IoError("cannot write '" + path_ + "': " + step + ": " + std::strerror(err));
    }

    // After the rename the new file is in place; a failure here only means the rename may not
    // yet be durable. File systems that cannot fsync a folder (EINVAL) are accepted as they are.
    void sync_folder() {
        const int dfd = ::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
            const int err = errno;
            throw IoError("wrote '" + path_ + "' but cannot open its folder '" + folder_ +
                          "' to flush it: " + std::strerror(err));
        }
        const int r = ::fsync(dfd);
        const int err = errno;
        ::close(dfd);
        if (r != 0 && err != EINVAL)
            throw IoError("wrote '" + path_ + "' but cannot flush its folder '" + folder_ + "': " + std::strerror(err));
    }

    // A name nobody else is likely to pick: pid, time, address and a counter, mixed (splitmix64).
    std::string random_hex() const {
        static std::atomic<std::uint64_t> counter{0};
        std::uint64_t z = std::uint64_t(::getpid()) * 0x9e3779b97f4a7c15ULL ^
                          std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                          (reinterpret_cast<std::uintptr_t>(this) << 16) ^ (counter.fetch_add(1) << 48);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(z));
        return buf;
    }

    std::string path_, folder_, temp_;
    int fd_ = -1;
};

/// Replace the file at path with `bytes`, atomically (see AtomicFile).
inline void write_file_atomic(const std::string& path, const void* data, std::size_t n) {
    AtomicFile f(path);
    f.write(data, n);
    f.commit();
}
inline void write_file_atomic(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace ae
