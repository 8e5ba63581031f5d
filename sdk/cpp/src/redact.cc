// Redaction scanner for the C++ SDK's client-side privacy filter: a verbatim copy of the scanner
// in src/ingest/privacy.cc (server), so both sides mask exactly the same things. The SDK is a
// standalone project and cannot link the server's code; sdk/cpp/tests/privacy_test.cc checks,
// when built inside the main project, that this copy and the server's agree on a corpus.
// Regenerate with: sdk/cpp/tools/sync_redact.sh
#include "redact.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tracery_sdk {
namespace internal {

namespace {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
inline bool IsAlnum(char c) { return IsDigit(c) || IsUpper(c) || IsLower(c); }
inline char Lower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

enum : uint8_t { kSecretTrigger = 1, kPiiTrigger = 2 };

constexpr std::array<uint8_t, 256> MakeTriggers() {
  std::array<uint8_t, 256> t{};
  for (unsigned char c : std::string_view("sSAgxBbeEpP-:aAcC")) t[c] |= kSecretTrigger;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kPiiTrigger;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kPiiTrigger;  // IBAN country code
  t[static_cast<unsigned char>('@')] |= kPiiTrigger;
  t[static_cast<unsigned char>('+')] |= kPiiTrigger;
  t[static_cast<unsigned char>('(')] |= kPiiTrigger;
  return t;
}
constexpr std::array<uint8_t, 256> kTriggers = MakeTriggers();

bool StartsWithAt(std::string_view s, size_t i, std::string_view p) { return s.substr(i, p.size()) == p; }

bool StartsWithAtIgnoreCase(std::string_view s, size_t i, std::string_view p) {
  if (i + p.size() > s.size()) return false;
  for (size_t k = 0; k < p.size(); ++k) {
    if (Lower(s[i + k]) != p[k]) return false;
  }
  return true;
}

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool dbl = false;
  for (size_t k = digits.size(); k-- > 0;) {
    int d = digits[k] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool IbanValid(std::string_view compact) {
  if (compact.size() < 15 || compact.size() > 34) return false;
  // Move the first four characters to the end, letters -> 10..35, then mod 97 == 1.
  int rem = 0;
  auto feed = [&rem](char c) {
    if (IsDigit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else {
      int v = c - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    }
  };
  for (size_t k = 4; k < compact.size(); ++k) feed(compact[k]);
  for (size_t k = 0; k < 4; ++k) feed(compact[k]);
  return rem == 1;
}

class Scanner {
 public:
  Scanner(std::string_view s, bool pii) : s_(s), pii_(pii) {}

  int Run() {
#if defined(__SSE2__)
    if (!force_scalar_) return RunBlocks();
#endif
    return RunScalar();
  }

  void ForceScalar() { force_scalar_ = true; }

  int RunScalar() {
    const size_t n = s_.size();
    size_t i = 0;
    while (i < n) {
      const char c = s_[i];
      const uint8_t trig = kTriggers[static_cast<unsigned char>(c)];
      // Every matcher a letter triggers needs a word start (LeftBoundary, or '_' for keywords),
      // so letters inside a word never call them.
      if (trig != 0 && (trig != kPiiTrigger || pii_) &&
          !((IsUpper(c) || IsLower(c)) && i > 0 && IsAlnum(s_[i - 1]))) {
        size_t next = 0;
        if (trig & kSecretTrigger) next = MatchSecret(i);
        if (next == 0 && pii_ && (trig & kPiiTrigger)) next = MatchPii(i);
        if (next > i) {
          i = next;
          continue;
        }
      }
      ++i;
      // Nothing can start inside the rest of a word or number: letters need a word start and a
      // digit after an alphanumeric is skipped by MatchNumber. Skip it in a tight loop.
      if (IsAlnum(c)) {
        while (i < n && IsAlnum(s_[i])) ++i;
      }
    }
    return count_;
  }

#if defined(__SSE2__)
  // Same result as RunScalar. Nothing can start at a letter or digit preceded by an
  // alphanumeric (see RunScalar), so only word starts and the punctuation triggers are
  // candidates; 16 bytes at a time give a bitmask of them and the rest is never looked at.
  int RunBlocks() {
    const size_t n = s_.size();
    const char* p = s_.data();
    size_t resume = 0;   // a match consumed everything before this
    uint32_t carry = 0;  // 1 when the byte before the block is alphanumeric
    const __m128i zero_m1 = _mm_set1_epi8('0' - 1), nine_p1 = _mm_set1_epi8('9' + 1);
    const __m128i a_m1 = _mm_set1_epi8('a' - 1), z_p1 = _mm_set1_epi8('z' + 1), bit5 = _mm_set1_epi8(0x20);
    const __m128i dash = _mm_set1_epi8('-'), colon = _mm_set1_epi8(':'), at = _mm_set1_epi8('@'),
                  plus = _mm_set1_epi8('+'), paren = _mm_set1_epi8('(');
    for (size_t block = 0; block < n; block += 16) {
      uint32_t alnum = 0, special = 0;
      if (block + 16 <= n) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + block));
        const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, zero_m1), _mm_cmplt_epi8(v, nine_p1));
        const __m128i low = _mm_or_si128(v, bit5);  // bytes >= 0x80 stay negative: never letters
        const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(low, a_m1), _mm_cmplt_epi8(low, z_p1));
        alnum = static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(digit, letter)));
        const __m128i sp = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, dash), _mm_cmpeq_epi8(v, colon)),
            _mm_or_si128(_mm_cmpeq_epi8(v, at), _mm_or_si128(_mm_cmpeq_epi8(v, plus), _mm_cmpeq_epi8(v, paren))));
        special = static_cast<uint32_t>(_mm_movemask_epi8(sp));
      } else {
        for (size_t k = block; k < n; ++k) {
          const char c = p[k];
          if (IsAlnum(c)) alnum |= 1u << (k - block);
          if (c == '-' || c == ':' || c == '@' || c == '+' || c == '(') special |= 1u << (k - block);
        }
      }
      const uint32_t prev_alnum = ((alnum << 1) | carry) & 0xFFFFu;
      carry = (alnum >> 15) & 1u;
      uint32_t cand = (alnum & ~prev_alnum) | special;
      while (cand != 0) {
        const size_t i = block + static_cast<size_t>(__builtin_ctz(cand));
        cand &= cand - 1;
        if (i < resume) continue;
        const uint8_t trig = kTriggers[static_cast<unsigned char>(p[i])];
        if (trig == 0 || (trig == kPiiTrigger && !pii_)) continue;
        size_t next = 0;
        if (trig & kSecretTrigger) next = MatchSecret(i);
        if (next == 0 && pii_ && (trig & kPiiTrigger)) next = MatchPii(i);
        if (next > i) resume = next;
      }
    }
    return count_;
  }
#endif

  bool changed() const { return count_ > 0; }
  std::string Take() {
    out_.append(s_.substr(copied_));
    return std::move(out_);
  }

 private:
  bool LeftBoundary(size_t i) const { return i == 0 || !IsAlnum(s_[i - 1]); }
  bool RightBoundary(size_t j) const { return j >= s_.size() || !IsAlnum(s_[j]); }

  size_t Replace(size_t b, size_t e, std::string_view kind) {
    if (b < copied_) b = copied_;
    out_.append(s_.substr(copied_, b - copied_));
    out_ += "[REDACTED:";
    out_ += kind;
    out_ += ']';
    copied_ = e;
    ++count_;
    return e;
  }

  template <typename Pred>
  size_t Span(size_t j, Pred pred, size_t limit = std::string_view::npos) const {
    size_t end = limit == std::string_view::npos ? s_.size() : std::min(s_.size(), j + limit);
    while (j < end && pred(s_[j])) ++j;
    return j;
  }

  static bool KeyChar(char c) { return IsAlnum(c) || c == '_' || c == '-'; }
  static bool B64Char(char c) { return IsAlnum(c) || c == '+' || c == '/' || c == '='; }
  static bool TokenChar(char c) {
    return IsAlnum(c) || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=' || c == '-';
  }

  // Returns the index to continue from when a secret was replaced, else 0.
  size_t MatchSecret(size_t i) {
    const char c = s_[i];
    if (c == 's' && StartsWithAt(s_, i, "sk-") && LeftBoundary(i)) {
      size_t j = Span(i + 3, KeyChar);
      if (j - (i + 3) >= 20) return Replace(i, j, "api_key");
    }
    if (c == 'A' && LeftBoundary(i)) {
      if (StartsWithAt(s_, i, "AKIA") || StartsWithAt(s_, i, "ASIA")) {
        size_t j = Span(i + 4, [](char x) { return IsUpper(x) || IsDigit(x); });
        if (j - (i + 4) == 16 && RightBoundary(j)) return Replace(i, j, "api_key");
      }
      if (StartsWithAt(s_, i, "AIza")) {
        size_t j = Span(i + 4, KeyChar);
        if (j - (i + 4) >= 30) return Replace(i, j, "api_key");
      }
    }
    if (c == 'g' && LeftBoundary(i)) {
      size_t p = 0;
      for (std::string_view pre : {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}) {
        if (StartsWithAt(s_, i, pre)) p = pre.size();
      }
      if (p != 0) {
        size_t j = Span(i + p, [](char x) { return IsAlnum(x) || x == '_'; });
        if (j - (i + p) >= 20) return Replace(i, j, "api_key");
      }
    }
    if (c == 'x' && StartsWithAt(s_, i, "xox") && i + 4 < s_.size() && s_[i + 4] == '-' && LeftBoundary(i)) {
      char k = s_[i + 3];
      if (k == 'b' || k == 'p' || k == 'a' || k == 'r' || k == 's') {
        size_t j = Span(i + 5, [](char x) { return IsAlnum(x) || x == '-'; });
        if (j - (i + 5) >= 10) return Replace(i, j, "api_key");
      }
    }
    if ((c == 'B' || c == 'b') && LeftBoundary(i)) {
      if (StartsWithAtIgnoreCase(s_, i, "bearer") && i + 6 < s_.size() && s_[i + 6] == ' ') {
        size_t t = Span(i + 6, [](char x) { return x == ' '; });
        size_t j = Span(t, TokenChar);
        size_t len = j - t;
        bool has_digit = false;
        for (size_t k = t; k < j; ++k) has_digit = has_digit || IsDigit(s_[k]);
        if (len >= 16 || (len >= 8 && has_digit)) return Replace(t, j, "bearer_token");
      }
      if (c == 'B' && StartsWithAt(s_, i, "Basic ")) {
        size_t t = Span(i + 6, [](char x) { return x == ' '; });
        size_t j = Span(t, B64Char);
        size_t len = j - t;
        bool upper = false, lower = false, other = false;
        for (size_t k = t; k < j; ++k) {
          upper = upper || IsUpper(s_[k]);
          lower = lower || IsLower(s_[k]);
          other = other || !(IsUpper(s_[k]) || IsLower(s_[k]));
        }
        if (len >= 8 && len % 4 == 0 && (other || (upper && lower))) return Replace(t, j, "password");
      }
    }
    if (c == 'e' && StartsWithAt(s_, i, "eyJ") && LeftBoundary(i)) {
      auto seg = [](char x) { return IsAlnum(x) || x == '_' || x == '-'; };
      size_t j = Span(i, seg);
      if (j - i >= 10 && j < s_.size() && s_[j] == '.') {
        size_t k = Span(j + 1, seg);
        if (k > j + 1 && k < s_.size() && s_[k] == '.') {
          size_t e = Span(k + 1, seg);
          return Replace(i, e, "jwt");
        }
      }
    }
    if (c == '-' && StartsWithAt(s_, i, "-----BEGIN ")) {
      size_t eol = s_.find("-----", i + 11);
      if (eol != std::string_view::npos && eol - i < 80) {
        std::string_view header = s_.substr(i, eol - i);
        if (header.find("PRIVATE KEY") != std::string_view::npos) {
          size_t end = s_.find("-----END", eol + 5);
          size_t stop;
          if (end != std::string_view::npos) {
            size_t close = s_.find("-----", end + 8);
            stop = close == std::string_view::npos ? s_.size() : close + 5;
          } else {
            size_t quote = s_.find('"', eol + 5);
            stop = quote == std::string_view::npos ? s_.size() : quote;
          }
          return Replace(i, stop, "private_key");
        }
      }
    }
    if (c == ':' && StartsWithAt(s_, i, "://")) {
      // scheme://user:password@host -> keep the user, mask the password.
      size_t j = i + 3;
      size_t colon = std::string_view::npos;
      size_t limit = std::min(s_.size(), j + 256);
      for (; j < limit; ++j) {
        char x = s_[j];
        if (x == '/' || x == ' ' || x == '\t' || x == '\n' || x == '"' || x == '\'' || x == '<' ||
            x == '>' || x == '@' || x == '\\') {
          break;
        }
        if (x == ':' && colon == std::string_view::npos) colon = j;
      }
      if (j < s_.size() && s_[j] == '@' && colon != std::string_view::npos && colon + 1 < j && colon > i + 3) {
        return Replace(colon + 1, j, "password");
      }
      return 0;
    }
    if (c == 'p' || c == 'P' || c == 's' || c == 'S' || c == 'a' || c == 'A' || c == 'c' || c == 'C') {
      return MatchKeyword(i);
    }
    return 0;
  }

  // password=..., "password": "...", secret: ..., api_key=... -> mask the value.
  size_t MatchKeyword(size_t i) {
    if (!LeftBoundary(i) && s_[i - 1] != '_') return 0;
    // Cheap rejection on the first two letters (pa/pw, se, cl, ap) before trying each keyword.
    if (i + 1 >= s_.size()) return 0;
    const char c0 = Lower(s_[i]), c1 = Lower(s_[i + 1]);
    if (!((c0 == 'p' && (c1 == 'a' || c1 == 'w')) || (c0 == 's' && c1 == 'e') || (c0 == 'c' && c1 == 'l') ||
          (c0 == 'a' && c1 == 'p'))) {
      return 0;
    }
    struct Kw {
      std::string_view word;
      std::string_view kind;
    };
    static constexpr Kw kKeywords[] = {
        {"password", "password"}, {"passwd", "password"}, {"pwd", "password"},
        {"secret", "password"},   {"client_secret", "password"}, {"api_key", "api_key"},
        {"apikey", "api_key"},    {"api-key", "api_key"}};
    std::string_view kind;
    size_t j = 0;
    for (const auto& kw : kKeywords) {
      if (StartsWithAtIgnoreCase(s_, i, kw.word)) {
        kind = kw.kind;
        j = i + kw.word.size();
        break;
      }
    }
    if (kind.empty()) return 0;
    if (j < s_.size() && (s_[j] == '"' || s_[j] == '\'')) ++j;
    j = Span(j, [](char x) { return x == ' ' || x == '\t'; });
    if (j >= s_.size() || (s_[j] != '=' && s_[j] != ':')) return 0;
    ++j;
    j = Span(j, [](char x) { return x == ' ' || x == '\t'; });
    char quote = 0;
    if (j < s_.size() && (s_[j] == '"' || s_[j] == '\'')) quote = s_[j++];
    size_t start = j;
    if (quote != 0) {
      j = Span(j, [quote](char x) { return x != quote && x != '\\' && x != '\n'; });
    } else {
      j = Span(j, [](char x) {
        return !(x == ' ' || x == '\t' || x == '\n' || x == '\r' || x == '&' || x == ',' || x == ';' ||
                 x == '"' || x == '\'' || x == '}' || x == ')' || x == '<' || x == '\\');
      });
    }
    if (j == start || StartsWithAt(s_, start, "[REDACTED")) return 0;
    return Replace(start, j, kind);
  }

  size_t MatchPii(size_t i) {
    const char c = s_[i];
    if (c == '@') return MatchEmail(i);
    if (IsDigit(c) || c == '+' || c == '(') return MatchNumber(i);
    if (IsUpper(c)) return MatchIban(i);
    return 0;
  }

  size_t MatchEmail(size_t at) {
    auto local = [](char x) { return IsAlnum(x) || x == '.' || x == '_' || x == '%' || x == '+' || x == '-'; };
    size_t b = at;
    while (b > copied_ && at - b < 64 && local(s_[b - 1])) --b;
    while (b < at && s_[b] == '.') ++b;
    if (b == at) return 0;
    // Domain: labels separated by dots, last label alphabetic (>= 2 letters).
    size_t j = at + 1;
    size_t last_dot = std::string_view::npos;
    size_t limit = std::min(s_.size(), j + 255);
    while (j < limit && (IsAlnum(s_[j]) || s_[j] == '-' || s_[j] == '.')) {
      if (s_[j] == '.') {
        if (j + 1 >= s_.size() || !IsAlnum(s_[j + 1])) break;  // trailing dot ends the domain
        last_dot = j;
      }
      ++j;
    }
    if (last_dot == std::string_view::npos || last_dot == at + 1) return 0;
    size_t tld = j - last_dot - 1;
    if (tld < 2) return 0;
    for (size_t k = last_dot + 1; k < j; ++k) {
      if (!IsUpper(s_[k]) && !IsLower(s_[k])) return 0;
    }
    return Replace(b, j, "email");
  }

  // Digit runs: SSN, card (Luhn), phone (NANP shapes or +international), account (context).
  size_t MatchNumber(size_t i) {
    if (i > 0 && (IsAlnum(s_[i - 1]) || s_[i - 1] == '.' || s_[i - 1] == '_' || s_[i - 1] == '-')) {
      // Inside a word or a bigger number: skip the rest of the run.
      return Span(i, IsDigit);
    }
    size_t j = i;
    bool plus = false, paren = false;
    if (s_[j] == '+') {
      plus = true;
      ++j;
    }
    if (j < s_.size() && s_[j] == '(') {
      paren = true;
      ++j;
    }
    if (j >= s_.size() || !IsDigit(s_[j])) return 0;
    std::string digits;
    std::vector<int> groups;
    std::string seps;
    size_t end = j;
    int group = 0;
    while (j < s_.size() && j - i < 48) {
      char x = s_[j];
      if (IsDigit(x)) {
        digits += x;
        ++group;
        ++j;
        end = j;
        continue;
      }
      // A separator (or ") " after an opening paren) followed by a digit continues the run.
      size_t k = j;
      if (x == ')' && paren) {
        k = j + 1;
        if (k < s_.size() && (s_[k] == ' ' || s_[k] == '-')) ++k;
      } else if (x == ' ' || x == '-' || x == '.') {
        k = j + 1;
      }
      if (k == j || k >= s_.size() || !IsDigit(s_[k])) break;
      groups.push_back(group);
      group = 0;
      seps += x;
      j = k;
    }
    groups.push_back(group);
    if (!RightBoundary(end) || (end < s_.size() && s_[end] == '.' && end + 1 < s_.size() && IsDigit(s_[end + 1]))) {
      return end;
    }
    const size_t n = digits.size();
    // SSN: ddd-dd-dddd.
    if (!plus && !paren && groups.size() == 3 && groups[0] == 3 && groups[1] == 2 && groups[2] == 4 &&
        seps == "--") {
      return Replace(i, end, "ssn");
    }
    // Card: 13-19 digits, separators only spaces or dashes, Luhn valid.
    if (!plus && !paren && n >= 13 && n <= 19 && seps.find_first_not_of(" -") == std::string::npos &&
        LuhnValid(digits)) {
      return Replace(i, end, "card");
    }
    // Phone: +international or NANP shapes (ddd-ddd-dddd, (ddd) ddd-dddd, 1-ddd-ddd-dddd).
    bool nanp = (groups == std::vector<int>{3, 3, 4}) || (groups == std::vector<int>{1, 3, 3, 4});
    if ((plus && n >= 8 && n <= 15 && (groups.size() > 1 || n >= 10)) ||
        (nanp && seps.find_first_not_of(" -.)") == std::string::npos)) {
      return Replace(i, end, "phone");
    }
    // Long account numbers: 9-20 digits right after an account-ish word.
    if (!plus && n >= 9 && n <= 20 && groups.size() == 1) {
      size_t from = i >= 32 ? i - 32 : 0;
      std::string ctx;
      for (char x : s_.substr(from, i - from)) ctx += Lower(x);
      if (ctx.find("account") != std::string::npos || ctx.find("acct") != std::string::npos ||
          ctx.find("a/c") != std::string::npos || ctx.find("routing") != std::string::npos) {
        return Replace(i, end, "account");
      }
    }
    return end;
  }

  size_t MatchIban(size_t i) {
    if (!LeftBoundary(i) || i + 4 > s_.size()) return 0;
    if (!IsUpper(s_[i + 1]) || !IsDigit(s_[i + 2]) || !IsDigit(s_[i + 3])) return 0;
    std::string compact(s_.substr(i, 4));
    size_t j = i + 4, end = j;
    while (j < s_.size() && compact.size() < 34) {
      char x = s_[j];
      if (IsUpper(x) || IsDigit(x)) {
        compact += x;
        ++j;
        end = j;
      } else if (x == ' ' && j + 1 < s_.size() && (IsUpper(s_[j + 1]) || IsDigit(s_[j + 1]))) {
        ++j;
      } else {
        break;
      }
    }
    // Greedy grouping may have swallowed a following word; shrink until the checksum holds.
    while (compact.size() >= 15) {
      if (RightBoundary(end) && IbanValid(compact)) return Replace(i, end, "iban");
      compact.pop_back();
      --end;
      if (end > i && s_[end - 1] == ' ') --end;
    }
    return 0;
  }

  std::string_view s_;
  bool pii_;
  bool force_scalar_ = false;
  std::string out_;
  size_t copied_ = 0;
  int count_ = 0;
};

}  // namespace

int Redact(bool mask_pii, std::string* text) {
  if (text == nullptr || text->empty()) return 0;
  Scanner scanner(*text, mask_pii);
  int n = scanner.Run();
  if (n > 0) *text = scanner.Take();
  return n;
}

}  // namespace internal
}  // namespace tracery_sdk
