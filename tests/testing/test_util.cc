#include "testing/test_util.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "yesno/claims.h"

namespace yesno::testing {

void ScriptedRng::Fill(std::span<uint8_t> out) {
  if (out.size() > script_.size()) {
    ADD_FAILURE() << "ScriptedRng: asked for " << out.size() << " bytes, has " << script_.size();
    std::fill(out.begin(), out.end(), 0);
    script_.clear();
    return;
  }
  for (auto& b : out) {
    b = script_.front();
    script_.pop_front();
  }
}

void DeterministicRng::Fill(std::span<uint8_t> out) {
  for (auto& b : out) {
    // splitmix64
    state_ += 0x9e3779b97f4a7c15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    b = static_cast<uint8_t>(z ^ (z >> 31));
  }
}

Bytes Hex(std::string_view hex) {
  auto r = HexDecode(hex);
  if (!r.ok()) {
    ADD_FAILURE() << "bad hex in test: " << hex.substr(0, 40);
    return {};
  }
  return *r;
}

nlohmann::json LoadVectors(std::string_view relative_path) {
  const std::string path = std::string(YESNO_VECTOR_DIR) + "/" + std::string(relative_path);
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return nlohmann::json();
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

const RsaPrivateKey& TestKey2048() {
  static const RsaPrivateKey key = *RsaPrivateKey::Generate(2048);
  return key;
}

const RsaPrivateKey& OtherTestKey2048() {
  static const RsaPrivateKey key = *RsaPrivateKey::Generate(2048);
  return key;
}

Bytes FlipBit(ByteView in, std::size_t bit) {
  Bytes out(in.begin(), in.end());
  out.at(bit / 8) ^= static_cast<uint8_t>(1u << (bit % 8));
  return out;
}

std::string PrivateDir(std::string_view tag, std::string_view name) {
  const std::string d = ::testing::TempDir() + "/yesno_" + std::string(tag) + "_" + std::to_string(getpid()) + "_" +
                        std::string(name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  chmod(d.c_str(), 0700);
  return d;
}

std::string YearsAgo(int years) {
  const Date today = DateFromUnixSeconds(SystemClock().NowSeconds());
  return FormatDate(Date{today.year - years, today.month, today.day == 29 && today.month == 2 ? 28 : today.day});
}

}  // namespace yesno::testing
