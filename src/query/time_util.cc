#include "query/time_util.h"

#include <limits>

namespace tracery::query {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;

// Howard Hinnant's civil-from-days / days-from-civil (proleptic Gregorian, exact for any int).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n digits at pos.
bool ReadDigits(std::string_view s, size_t& pos, int n, int* out) {
  if (pos + static_cast<size_t>(n) > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + static_cast<size_t>(i)];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  pos += static_cast<size_t>(n);
  *out = v;
  return true;
}

Status BadTime(std::string_view why) {
  return InvalidArgumentError("expected an RFC 3339 time or Unix milliseconds: " + std::string(why));
}

}  // namespace

std::string FormatTimeNs(int64_t unix_ns) {
  int64_t secs = unix_ns / kNsPerSec;
  int64_t frac = unix_ns % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  CivilFromDays(days, &y, &m, &d);
  // Years stay within 1677..2262 for int64 nanoseconds, so 4 digits always suffice.
  std::string out(30, '0');
  auto put = [&](size_t pos, int64_t v, int width) {
    for (int k = width - 1; k >= 0; --k) {
      out[pos + static_cast<size_t>(k)] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, y, 4);
  out[4] = '-';
  put(5, m, 2);
  out[7] = '-';
  put(8, d, 2);
  out[10] = 'T';
  put(11, rem / 3600, 2);
  out[13] = ':';
  put(14, rem / 60 % 60, 2);
  out[16] = ':';
  put(17, rem % 60, 2);
  out[19] = '.';
  put(20, frac, 9);
  out[29] = 'Z';
  return out;
}

Result<int64_t> ParseTimeNs(std::string_view s) {
  if (s.empty()) return BadTime("empty value");
  bool all_digits = true;
  for (char c : s) all_digits = all_digits && IsDigit(c);
  if (all_digits) {
    if (s.size() > 13) return BadTime("Unix milliseconds out of range");
    int64_t ms = 0;
    for (char c : s) ms = ms * 10 + (c - '0');
    return ms * 1'000'000;
  }
  size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!ReadDigits(s, pos, 4, &year) || pos >= s.size() || s[pos++] != '-' || !ReadDigits(s, pos, 2, &month) ||
      pos >= s.size() || s[pos++] != '-' || !ReadDigits(s, pos, 2, &day)) {
    return BadTime("date must be YYYY-MM-DD");
  }
  if (month < 1 || month > 12) return BadTime("month out of range");
  if (day < 1 || static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month))) {
    return BadTime("day out of range");
  }
  // Unix nanoseconds span 1677-09-21 .. 2262-04-11; keep to whole years inside that.
  if (year < 1678 || year > 2261) return BadTime("year out of range 1678..2261");
  int hour = 0, minute = 0, second = 0;
  int64_t frac_ns = 0;
  int64_t offset_s = 0;
  if (pos < s.size()) {
    char sep = s[pos++];
    if (sep != 'T' && sep != 't' && sep != ' ') return BadTime("expected 'T' after the date");
    if (!ReadDigits(s, pos, 2, &hour) || pos >= s.size() || s[pos++] != ':' || !ReadDigits(s, pos, 2, &minute) ||
        pos >= s.size() || s[pos++] != ':' || !ReadDigits(s, pos, 2, &second)) {
      return BadTime("time must be hh:mm:ss");
    }
    if (hour > 23 || minute > 59 || second > 60) return BadTime("time of day out of range");
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int digits = 0;
      int64_t scale = 100'000'000;
      while (pos < s.size() && IsDigit(s[pos])) {
        if (digits < 9) {
          frac_ns += (s[pos] - '0') * scale;
          scale /= 10;
        }
        ++digits;
        ++pos;
      }
      if (digits == 0) return BadTime("empty fraction of a second");
      if (digits > 9) return BadTime("more than 9 fraction digits");
    }
    if (pos >= s.size()) return BadTime("missing time zone (Z or +hh:mm)");
    char tz = s[pos++];
    if (tz == 'Z' || tz == 'z') {
      offset_s = 0;
    } else if (tz == '+' || tz == '-') {
      int oh = 0, om = 0;
      if (!ReadDigits(s, pos, 2, &oh) || pos >= s.size() || s[pos++] != ':' || !ReadDigits(s, pos, 2, &om) ||
          oh > 23 || om > 59) {
        return BadTime("bad time zone offset");
      }
      offset_s = (oh * 3600 + om * 60) * (tz == '+' ? 1 : -1);
    } else {
      return BadTime("bad time zone");
    }
    if (pos != s.size()) return BadTime("trailing characters");
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // Range: years 1678..2261 keep secs well inside int64 ns except at the very ends.
  constexpr int64_t kMaxSecs = std::numeric_limits<int64_t>::max() / kNsPerSec - 1;
  if (secs > kMaxSecs || secs < -kMaxSecs) return BadTime("time out of range");
  return secs * kNsPerSec + frac_ns;
}

Result<int64_t> ParseDurationNs(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("expected a duration like 15m, 1h or 7d: " + std::string(why));
  };
  if (s.empty()) return bad("empty value");
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    if (!IsDigit(s[pos])) return bad("expected a number");
    int64_t n = 0;
    while (pos < s.size() && IsDigit(s[pos])) {
      if (n > (kMax - 9) / 10) return bad("number too large");
      n = n * 10 + (s[pos++] - '0');
    }
    std::string_view rest = s.substr(pos);
    int64_t unit = 0;
    size_t len = 0;
    if (rest.substr(0, 2) == "ms") {
      unit = 1'000'000, len = 2;
    } else if (!rest.empty() && rest[0] == 's') {
      unit = kNsPerSec, len = 1;
    } else if (!rest.empty() && rest[0] == 'm') {
      unit = 60 * kNsPerSec, len = 1;
    } else if (!rest.empty() && rest[0] == 'h') {
      unit = 3600 * kNsPerSec, len = 1;
    } else if (!rest.empty() && rest[0] == 'd') {
      unit = 86400 * kNsPerSec, len = 1;
    } else if (!rest.empty() && rest[0] == 'w') {
      unit = 7 * 86400 * kNsPerSec, len = 1;
    } else {
      return bad("missing or unknown unit (ms, s, m, h, d, w)");
    }
    pos += len;
    if (n > (kMax - total) / unit) return bad("duration too large");
    total += n * unit;
  }
  if (total <= 0) return bad("must be positive");
  return total;
}

}  // namespace tracery::query
