// tests/unit/libcni/fake_exec.h — an in-memory invoke::Exec for libcni tests: records every call
// and answers from a script keyed by plugin type and CNI_COMMAND.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "src/invoke/exec.h"
#include "src/spec/json.h"

namespace cni::testutil {

struct FakeCall {
  std::string plugin;   // basename
  std::string command;  // CNI_COMMAND
  Json stdin_json;
  std::string stdin_text;
  std::map<std::string, std::string> env;  // CNI_* only
};

class FakeExec : public invoke::Exec {
 public:
  using Handler = std::function<Expected<std::string>(const FakeCall&)>;

  // Answer for (plugin, command); default: success with empty output.
  void on(const std::string& plugin, const std::string& command, Handler h) {
    handlers_[plugin + "/" + command] = std::move(h);
  }
  void onOutput(const std::string& plugin, const std::string& command, std::string out) {
    on(plugin, command, [out](const FakeCall&) -> Expected<std::string> { return out; });
  }
  void onError(const std::string& plugin, const std::string& command, Error e) {
    on(plugin, command, [e](const FakeCall&) -> Expected<std::string> { return fail(e); });
  }

  Expected<std::string> execPlugin(const std::string& plugin_path, std::string_view stdin_data,
                                   const std::vector<std::string>& env) override {
    FakeCall c;
    c.plugin = plugin_path.substr(plugin_path.rfind('/') + 1);
    c.stdin_text = std::string(stdin_data);
    c.stdin_json = Json::parse(stdin_data);
    for (const auto& kv : env) {
      if (kv.rfind("CNI_", 0) != 0) continue;
      auto eq = kv.find('=');
      c.env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    c.command = c.env["CNI_COMMAND"];
    {
      std::lock_guard lock(mu_);
      calls.push_back(c);
    }
    auto it = handlers_.find(c.plugin + "/" + c.command);
    if (it == handlers_.end()) return std::string();
    return it->second(c);
  }

  Expected<std::string> findInPath(std::string_view plugin,
                                   const std::vector<std::string>&) override {
    if (missing.count(std::string(plugin))) {
      return fail(ErrorCode::kUnknown,
                  "failed to find plugin \"" + std::string(plugin) + "\" in path [/fake]");
    }
    return "/fake/" + std::string(plugin);
  }

  std::vector<std::string> commands() const {
    std::vector<std::string> out;
    for (const auto& c : calls) out.push_back(c.plugin + "/" + c.command);
    return out;
  }

  std::vector<FakeCall> calls;
  std::map<std::string, bool> missing;

 private:
  std::map<std::string, Handler> handlers_;
  std::mutex mu_;
};

}  // namespace cni::testutil
