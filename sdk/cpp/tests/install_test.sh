#!/usr/bin/env bash
# Builds the SDK standalone, installs it into a temp prefix, then configures, builds and runs a
# consumer that uses find_package(tracery_sdk CONFIG REQUIRED). Args: SDK_DIR WORK_DIR
set -euo pipefail
sdk="$(cd "$1" && pwd)"
work="$2"
rm -rf "$work"
mkdir -p "$work/consumer"
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S "$sdk" -B "$work/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release
cmake --build "$work/build" -j2
cmake --install "$work/build" --prefix "$work/prefix"
test -f "$work/prefix/lib/cmake/tracery_sdk/tracery_sdkConfig.cmake" \
  || test -f "$work/prefix/lib/x86_64-linux-gnu/cmake/tracery_sdk/tracery_sdkConfig.cmake"
cat > "$work/consumer/CMakeLists.txt" <<'CMK'
cmake_minimum_required(VERSION 3.16)
project(consumer LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
find_package(tracery_sdk 0.1 CONFIG REQUIRED)
add_executable(consumer main.cc)
target_link_libraries(consumer PRIVATE tracery_sdk::tracery_sdk)
CMK
cat > "$work/consumer/main.cc" <<'CPP'
#include <cstdio>
#include "tracery_sdk/tracery_sdk.h"
int main() {
  tracery_sdk::TracerOptions o;
  o.agent_id = "consumer";
  o.agent_version = "1";
  o.endpoint = "http://127.0.0.1:9";
  o.max_retries = 0;
  o.log_errors = false;
  tracery_sdk::Tracer tracer(o);
  {
    tracery_sdk::Run run = tracer.StartRun("smoke");
    run.StartStep(tracery_sdk::StepType::kTool, "t").Set("k", 1);
  }
  tracer.Flush(std::chrono::seconds(5));
  auto s = tracer.Stats();
  std::printf("enqueued=%llu dropped=%llu\n", (unsigned long long)s.spans_enqueued,
              (unsigned long long)s.spans_dropped);
  return s.spans_enqueued == 2 && s.spans_dropped == 2 ? 0 : 1;
}
CPP
cmake -S "$work/consumer" -B "$work/consumer/build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$work/prefix"
cmake --build "$work/consumer/build"
"$work/consumer/build/consumer"
echo "install test: ok"
