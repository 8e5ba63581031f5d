#include "test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace tracery_sdk::testing {

std::string Gunzip(const std::string& data) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

ServerProcess::ServerProcess() {
  const char* env = std::getenv("TRACERY_BIN");
  const std::string bin = env != nullptr && *env != '\0' ? env : TRACERY_BIN_PATH;
  char tmpl[] = "/tmp/tracery-cppsdk-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  const std::string data = dir_ + "/data", err = dir_ + "/stderr.txt";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {bin,  "serve",     "--data-dir", data, "--http",
                                   "127.0.0.1:0", "--grpc", "off"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
    error_ = "cannot spawn " + bin;
  }
  posix_spawn_file_actions_destroy(&fa);
  if (pid_ < 0) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(err);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    // "tracery serving http=HOST:PORT ..." (no std::regex: GCC 12 warns in it under sanitizers).
    const std::string key = "tracery serving http=";
    if (size_t at = text.find(key); at != std::string::npos) {
      size_t start = at + key.size();
      size_t end = text.find_first_not_of("0123456789.:", start);
      if (end != std::string::npos && end > start) {
        base_ = "http://" + text.substr(start, end - start);
        return;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "tracery serve exited: " + text;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  error_ = "tracery serve did not start";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

nlohmann::json ServerProcess::Get(const std::string& path, int* status) const {
  httplib::Client client(base_);
  client.set_read_timeout(10, 0);
  auto res = client.Get(path.c_str());
  if (status != nullptr) *status = res ? res->status : -1;
  if (!res || res->status != 200) return nullptr;
  return nlohmann::json::parse(res->body, nullptr, false);
}

nlohmann::json ServerProcess::WaitRun(const std::string& run_id, std::size_t min_steps) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  nlohmann::json last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = Get("/api/runs/" + run_id);
    if (last.is_object() && last.contains("steps") && last["steps"].size() >= min_steps &&
        last["run"]["status"] != "running" && last["run"]["status"] != "") {
      return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return last;
}

FakeCollector::FakeCollector(Responder respond) : respond_(std::move(respond)) {
  server_.Post(R"(.*/v1/traces)", [this](const httplib::Request& req, httplib::Response& res) {
    Received r;
    r.at = std::chrono::steady_clock::now();
    r.headers = req.headers;
    r.path = req.path;
    // httplib (built with zlib) already inflates gzip request bodies; inflate only if it did not.
    const bool gz = req.body.size() >= 2 && static_cast<unsigned char>(req.body[0]) == 0x1f &&
                    static_cast<unsigned char>(req.body[1]) == 0x8b;
    const std::string body = gz ? Gunzip(req.body) : req.body;
    r.request.ParseFromString(body);
    int n;
    {
      std::lock_guard<std::mutex> lock(mu_);
      n = count_++;
      received_.push_back(std::move(r));
    }
    res.status = respond_ ? respond_(n, &res) : 200;
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
}

FakeCollector::~FakeCollector() {
  server_.stop();
  thread_.join();
}

std::vector<Received> FakeCollector::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

int FakeCollector::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

std::vector<opentelemetry::proto::trace::v1::Span> FakeCollector::spans() const {
  std::vector<opentelemetry::proto::trace::v1::Span> out;
  for (const auto& r : received())
    for (const auto& rs : r.request.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans()) out.push_back(s);
  return out;
}

const opentelemetry::proto::common::v1::AnyValue* FindAttr(
    const opentelemetry::proto::trace::v1::Span& span, const std::string& key) {
  for (const auto& kv : span.attributes())
    if (kv.key() == key) return &kv.value();
  return nullptr;
}

}  // namespace tracery_sdk::testing
