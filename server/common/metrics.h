// metrics.h — counts for /metrics in the Prometheus text format (0.0.4).
// Only counts and latencies: no identifiers of any kind.
#ifndef YESNO_SERVER_COMMON_METRICS_H_
#define YESNO_SERVER_COMMON_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_server.h"

namespace yesno::server {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // `prefix` starts every metric name, e.g. "yesno_issuer".
  explicit Metrics(std::string prefix);

  // Describe sets HELP/TYPE text for `name` ("counter" or "gauge").
  void Describe(std::string name, std::string type, std::string help);
  // Add increases counter `name`{labels} by `by`.
  void Add(std::string_view name, const Labels& labels, double by = 1);
  // Set sets gauge `name`{labels}.
  void Set(std::string_view name, const Labels& labels, double value);
  // Get reads a counter or gauge (0 if never set).
  double Get(std::string_view name, const Labels& labels) const;

  // ObserveRequest records requests_total{route,status} and the
  // request_duration_seconds histogram{route}; it is an http Observer.
  void ObserveRequest(const RequestLog& log, unsigned status, double seconds);

  std::string Render() const;

  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string type = "counter";
    std::string help;
    std::map<std::string, double> values;  // rendered label set -> value
  };
  static std::string RenderLabels(const Labels& labels);
  // AppendLabelValue appends `value` escaped for the text format (\ " \n).
  static void AppendLabelValue(std::string& out, std::string_view value);
  // FamilyLocked finds or makes counter family `name`; mu_ must be held.
  Family& FamilyLocked(std::string_view name);

  std::string prefix_;
  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  std::map<std::string, Histogram, std::less<>> latency_;  // by route
};

}  // namespace yesno::server

#endif  // YESNO_SERVER_COMMON_METRICS_H_
