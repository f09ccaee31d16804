#include "metrics.h"

#include <sstream>

namespace yesno::server {

Metrics::Metrics(std::string prefix) : prefix_(std::move(prefix)) {
  Describe("requests_total", "counter", "HTTP requests by route and status");
}

void Metrics::Describe(std::string name, std::string type, std::string help) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = families_[name];
  f.type = std::move(type);
  f.help = std::move(help);
}

void Metrics::AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
}

std::string Metrics::RenderLabels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ",";
    out += labels[i].first + "=\"";
    AppendLabelValue(out, labels[i].second);
    out += "\"";
  }
  return out + "}";
}

Metrics::Family& Metrics::FamilyLocked(std::string_view name) {
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(std::string(name), Family{}).first;
  return it->second;
}

void Metrics::Add(std::string_view name, const Labels& labels, double by) {
  const std::string key = RenderLabels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  FamilyLocked(name).values[key] += by;
}

void Metrics::Set(std::string_view name, const Labels& labels, double value) {
  const std::string key = RenderLabels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(std::string(name), Family{"gauge", "", {}}).first;
  it->second.values[key] = value;
}

double Metrics::Get(std::string_view name, const Labels& labels) const {
  const std::string key = RenderLabels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto v = it->second.values.find(key);
  return v == it->second.values.end() ? 0 : v->second;
}

void Metrics::ObserveRequest(const RequestLog& log, unsigned status, double seconds) {
  // On every request: one label string built in place (routes are fixed
  // names, escaped all the same), one lock, no temporary label vector.
  const std::string_view route = log.route.empty() ? std::string_view("-") : std::string_view(log.route);
  std::string key = "{route=\"";
  key.reserve(route.size() + 32);
  AppendLabelValue(key, route);
  key += "\",status=\"";
  key += std::to_string(status);
  key += "\"}";
  std::lock_guard<std::mutex> lock(mu_);
  FamilyLocked("requests_total").values[std::move(key)] += 1;
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(std::string(route), Histogram{}).first;
  Histogram& h = it->second;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::Render() const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, family] : families_) {
    const std::string full = prefix_ + "_" + name;
    if (!family.help.empty()) out << "# HELP " << full << " " << family.help << "\n";
    out << "# TYPE " << full << " " << family.type << "\n";
    for (const auto& [labels, value] : family.values) out << full << labels << " " << value << "\n";
  }
  const std::string hist = prefix_ + "_request_duration_seconds";
  out << "# HELP " << hist << " Request handling latency by route\n# TYPE " << hist << " histogram\n";
  for (const auto& [route, h] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out << hist << "_bucket{route=\"" << route << "\",le=\"" << kBuckets[i] << "\"} " << h.buckets[i] << "\n";
    }
    out << hist << "_bucket{route=\"" << route << "\",le=\"+Inf\"} " << h.count << "\n";
    out << hist << "_sum{route=\"" << route << "\"} " << h.sum << "\n";
    out << hist << "_count{route=\"" << route << "\"} " << h.count << "\n";
  }
  return out.str();
}

}  // namespace yesno::server
