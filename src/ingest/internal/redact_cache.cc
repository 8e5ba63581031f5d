#include "ingest/internal/redact_cache.h"

#include <algorithm>
#include <random>

#include <xxhash.h>

namespace tracery::ingest::internal {

namespace {

uint64_t RandomSeed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

size_t RoundUpPow2(size_t v) {
  size_t p = 16;
  while (p < v) p <<= 1;
  return p;
}

}  // namespace

CleanContentCache::CleanContentCache(size_t capacity)
    : seed_(RandomSeed()),
      slots_per_shard_(RoundUpPow2(capacity / kShards)),
      shards_(new Shard[kShards]) {}

CleanContentCache& CleanContentCache::Global() {
  static CleanContentCache* cache = new CleanContentCache();  // never destroyed: used until exit
  return *cache;
}

CleanContentCache::Key CleanContentCache::MakeKey(std::string_view bytes, PrivacyMode mode,
                                                  CleanKind kind) const {
  const uint64_t tag = (static_cast<uint64_t>(mode) << 8) | static_cast<uint64_t>(kind);
  XXH128_hash_t h = XXH3_128bits_withSeed(bytes.data(), bytes.size(), seed_ ^ (tag * 0x9E3779B97F4A7C15ULL));
  Key k{h.high64, h.low64};
  if (k.hi == 0 && k.lo == 0) k.lo = 1;  // {0,0} marks an empty slot
  return k;
}

bool CleanContentCache::Contains(std::string_view bytes, PrivacyMode mode, CleanKind kind) {
  const Key k = MakeKey(bytes, mode, kind);
  Shard& sh = shards_[k.hi % kShards];
  {
    std::lock_guard<std::mutex> lock(sh.mu);
    if (!sh.slots.empty()) {
      const size_t mask = sh.slots.size() - 1;
      for (size_t i = k.lo & mask;; i = (i + 1) & mask) {
        const Key& s = sh.slots[i];
        if (s.hi == k.hi && s.lo == k.lo) {
          hits_.fetch_add(1, std::memory_order_relaxed);
          return true;
        }
        if (s.hi == 0 && s.lo == 0) break;
      }
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void CleanContentCache::Insert(std::string_view bytes, PrivacyMode mode, CleanKind kind) {
  const Key k = MakeKey(bytes, mode, kind);
  Shard& sh = shards_[k.hi % kShards];
  std::lock_guard<std::mutex> lock(sh.mu);
  if (sh.slots.empty()) sh.slots.assign(slots_per_shard_, Key{});
  if (sh.used >= sh.slots.size() / 2) {
    std::fill(sh.slots.begin(), sh.slots.end(), Key{});
    sh.used = 0;
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  const size_t mask = sh.slots.size() - 1;
  for (size_t i = k.lo & mask;; i = (i + 1) & mask) {
    Key& s = sh.slots[i];
    if (s.hi == k.hi && s.lo == k.lo) return;
    if (s.hi == 0 && s.lo == 0) {
      s = k;
      ++sh.used;
      inserts_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

void CleanContentCache::Clear() {
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    std::fill(shards_[i].slots.begin(), shards_[i].slots.end(), Key{});  // keeps the allocation
    shards_[i].used = 0;
  }
}

CleanContentCache::Stats CleanContentCache::stats() const {
  Stats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.inserts = inserts_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace tracery::ingest::internal
