#include "cli_util.h"

#include <iostream>
#include <iterator>

namespace yesno::cli {

void Output::Result(const nlohmann::json& doc, std::string_view text) const {
  if (json) {
    *out << doc.dump() << "\n";
  } else {
    *out << text << "\n";
  }
}

int Output::Fail(std::string_view message) const {
  if (json) {
    *out << nlohmann::json{{"error", message}}.dump() << "\n";
  } else {
    *err << "yesno: error: " << message << "\n";
  }
  return kExitError;
}

Result<std::string> ReadArgument(const std::string& value, std::istream& in) {
  if (value != "-") return value;
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto first = all.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return MakeError(ErrorCode::kInvalidArgument, "standard input is empty");
  const auto last = all.find_last_not_of(" \t\r\n");
  return all.substr(first, last - first + 1);
}

std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv, int usage_exit) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return usage_exit;
  }
  return std::nullopt;
}

}  // namespace yesno::cli
