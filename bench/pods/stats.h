// bench/pods/stats.h — latency samples and the summary rows `make bench` prints.
//
// Percentiles are nearest-rank (the value of a real sample, never an interpolation), so a p99 of
// 200 samples is the second-worst op: what a user of the slowest pods saw.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace cni::bench {

struct Samples {
  std::vector<double> ms;  // one per operation

  void add(double v) { ms.push_back(v); }
  bool empty() const { return ms.empty(); }
  double pct(double p) const {
    if (ms.empty()) return NAN;
    std::vector<double> s = ms;
    std::sort(s.begin(), s.end());
    size_t k = static_cast<size_t>(std::ceil(p * static_cast<double>(s.size())));
    return s[std::clamp<size_t>(k, 1, s.size()) - 1];
  }
  double median() const { return pct(0.5); }
  double max() const { return ms.empty() ? NAN : *std::max_element(ms.begin(), ms.end()); }
  double mean() const {
    double sum = 0;
    for (double v : ms) sum += v;
    return ms.empty() ? NAN : sum / static_cast<double>(ms.size());
  }
};

// One CSV row of the report (bench/run.sh renders the Markdown table from these):
//   section,case,metric,unit,cnikit,reference,ratio,floor,cnikit_x_floor
// ratio = reference / cnikit (how many times cheaper we are); cnikit_x_floor = cnikit / floor.
// A value that does not apply is left empty.
struct Row {
  std::string section, case_name, metric, unit;
  double cnikit = NAN, reference = NAN, floor = NAN;
  bool compare = true;  // false: the two columns are not "same thing, two systems" (no ratio)
};

inline std::string fmt(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, v >= 100 ? "%.1f" : (v >= 1 ? "%.2f" : "%.3f"), v);
  return buf;
}

// CSV-safe text: the renderer splits on commas, so none may appear inside a field.
inline std::string field(std::string s) {
  std::replace(s.begin(), s.end(), ',', ';');
  return s;
}

inline void printRow(const Row& r) {
  double ratio = r.compare ? r.reference / r.cnikit : NAN;
  double x_floor = r.cnikit / r.floor;
  std::printf("%s,%s,%s,%s,%s,%s,%s,%s,%s\n", field(r.section).c_str(), field(r.case_name).c_str(),
              field(r.metric).c_str(), field(r.unit).c_str(), fmt(r.cnikit).c_str(),
              fmt(r.reference).c_str(), fmt(ratio).c_str(), fmt(r.floor).c_str(),
              fmt(x_floor).c_str());
  std::fflush(stdout);
}

inline constexpr const char* kCsvHeader =
    "section,case,metric,unit,cnikit,reference,ratio,floor,cnikit_x_floor";

}  // namespace cni::bench
