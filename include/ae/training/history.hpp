#pragma once
// History: per-epoch metrics returned by fit, as Keras' History.history.
//   history["loss"][e], history["val_loss"][e], history["seconds"][e]
#include <map>
#include <string>
#include <vector>

#include "ae/core/error.hpp"

namespace ae {

/// One epoch's metrics: "loss", "val_loss", "seconds", and any a callback or trainer adds.
using EpochLogs = std::map<std::string, double>;

class History {
public:
    void append(const EpochLogs& logs) {
        for (auto& [k, v] : logs) {
            auto& series = metrics_[k];
            series.resize(epochs_, 0.0);  // a metric first seen late starts with zeros
            series.push_back(v);
        }
        ++epochs_;
    }
    std::size_t epochs() const { return epochs_; }
    bool has(const std::string& metric) const { return metrics_.count(metric) != 0; }
    const std::vector<double>& operator[](const std::string& metric) const {
        auto it = metrics_.find(metric);
        if (it == metrics_.end()) throw ConfigError("History: no metric '" + metric + "'");
        return it->second;
    }
    const std::map<std::string, std::vector<double>>& metrics() const { return metrics_; }

    /// Why fit stopped early when a guard stopped it (TerminateOnNaN's message); empty otherwise.
    const std::string& stop_reason() const { return stop_reason_; }
    void set_stop_reason(std::string reason) { stop_reason_ = std::move(reason); }

private:
    std::size_t epochs_ = 0;
    std::map<std::string, std::vector<double>> metrics_;
    std::string stop_reason_;
};

} // namespace ae
