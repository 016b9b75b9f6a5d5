#pragma once
// ParameterBudget: an upper bound on the parameter scalars that layers may allocate while they
// are built on this thread. Model loaders set one: a file must store every parameter of the
// model it describes, so a layer config that implies more parameters than the file has bytes
// for is corrupt. Layers claim each kernel before allocating it (Layer::claim_parameters), so a
// few bytes of hostile config ("units": "99999999999") fail with a FormatError instead of
// asking for terabytes. Without a live budget, claims are free.
//   ParameterBudget budget(bytes_left / scalar_size, "the rest of the file");
//   model->build(input, rng);  // a layer asking for more throws FormatError
#include <cstdint>
#include <string>

#include "ae/core/error.hpp"

namespace ae {

class ParameterBudget {
public:
    ParameterBudget(std::uint64_t scalars, std::string context)
        : left_(double(scalars)), context_(std::move(context)), outer_(current()) {
        current() = this;
    }
    ~ParameterBudget() { current() = outer_; }
    ParameterBudget(const ParameterBudget&) = delete;
    ParameterBudget& operator=(const ParameterBudget&) = delete;

    /// Take `scalars` (a double, so that products of hostile sizes cannot overflow) from the
    /// innermost live budget of this thread; FormatError naming `who` if it does not have them.
    static void claim(double scalars, const std::string& who) {
        ParameterBudget* b = current();
        if (!b) return;
        if (!(scalars <= b->left_))
            throw FormatError(who + " is too large: it needs " + number_text(scalars) + " parameters, but " +
                              b->context_ + " can hold at most " + number_text(b->left_));
        b->left_ -= scalars;
    }

private:
    static ParameterBudget*& current() {
        static thread_local ParameterBudget* innermost = nullptr;
        return innermost;
    }
    static std::string number_text(double v) {
        return v < 1e18 ? std::to_string(std::uint64_t(v)) : std::to_string(v);
    }
    double left_;
    std::string context_;
    ParameterBudget* outer_;
};

}  // namespace ae
