#pragma once
// ae::Rng: the single source of randomness (initialisers, shuffling, noise, dropout, sampling).
// xoshiro256** seeded through splitmix64, with our own uniform and normal transforms, so the
// same seed gives the same numbers on every platform and standard library.
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "ae/core/matrix.hpp"

namespace ae {

class Rng {
public:
    using State = std::array<std::uint64_t, 4>;

    explicit Rng(std::uint64_t seed = 42) { seed_with(seed); }

    void seed_with(std::uint64_t seed) {
        std::uint64_t x = seed;
        for (auto& s : s_) s = splitmix64(x);
        has_spare_ = false;
    }

    /// 64 random bits (xoshiro256**).
    std::uint64_t next_u64() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform in [0, 1) with 53 random bits.
    double uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

    /// Uniform integer in [0, n), unbiased (rejection sampling).
    std::uint64_t uniform_index(std::uint64_t n) {
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        std::uint64_t r;
        do r = next_u64();
        while (r >= limit);
        return r % n;
    }

    /// Standard normal by the Box-Muller transform (the second value is cached).
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u1;
        do u1 = uniform();
        while (u1 <= 0.0);
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        spare_ = r * std::sin(2.0 * std::numbers::pi * u2);
        has_spare_ = true;
        return r * std::cos(2.0 * std::numbers::pi * u2);
    }
    double normal(double mean, double stddev) { return mean + stddev * normal(); }

    template <class S>
    void fill_uniform(Matrix<S>& m, double lo, double hi) {
        for (Index i = 0; i < m.size(); ++i) m.data()[i] = S(uniform(lo, hi));
    }
    template <class S>
    void fill_normal(Matrix<S>& m, double mean, double stddev) {
        for (Index i = 0; i < m.size(); ++i) m.data()[i] = S(normal(mean, stddev));
    }

    /// Fisher-Yates shuffle.
    template <class T>
    void shuffle(std::vector<T>& v) {
        for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[uniform_index(i)]);
    }

    /// Full state, for checkpoints: restoring it replays the same stream.
    struct FullState {
        State s;
        bool has_spare;
        double spare;
    };
    FullState state() const { return {s_, has_spare_, spare_}; }
    void set_state(const FullState& st) {
        s_ = st.s;
        has_spare_ = st.has_spare;
        spare_ = st.spare;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix64(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    State s_{};
    bool has_spare_ = false;
    double spare_ = 0.0;
};

} // namespace ae
