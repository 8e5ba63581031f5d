#include "ingest/internal/json_split.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace tracery::ingest::internal {
namespace {

using Parts = std::vector<std::string_view>;

Parts Split(std::string_view text, bool* ok) {
  Parts out;
  *ok = SplitJsonArray(text, &out);
  return out;
}

Parts MustSplit(std::string_view text) {
  bool ok = false;
  Parts out = Split(text, &ok);
  EXPECT_TRUE(ok) << text;
  return out;
}

bool Fails(std::string_view text) {
  bool ok = true;
  Split(text, &ok);
  return !ok;
}

TEST(JsonSplitTest, FlatArrayGivesTrimmedElements) {
  EXPECT_EQ(MustSplit(R"( [ {"a":1} , 2,"x" ,null,true ] )"),
            (Parts{R"({"a":1})", "2", R"("x")", "null", "true"}));
}

TEST(JsonSplitTest, EmptyArray) {
  EXPECT_TRUE(MustSplit("[]").empty());
  EXPECT_TRUE(MustSplit(" \n[ \t]\r\n").empty());
}

TEST(JsonSplitTest, NestedValuesStayWhole) {
  EXPECT_EQ(MustSplit(R"([[1,[2,3]],{"a":{"b":[4,{"c":5}]}},[]])"),
            (Parts{"[1,[2,3]]", R"({"a":{"b":[4,{"c":5}]}})", "[]"}));
}

TEST(JsonSplitTest, StructuralCharactersInsideStringsAreIgnored) {
  EXPECT_EQ(MustSplit(R"(["a,b]", "{[", "}]"])"), (Parts{R"("a,b]")", R"("{[")", R"("}]")"}));
}

TEST(JsonSplitTest, EscapedQuotesAndBackslashes) {
  // "a\"b" holds a quote; "c\\" ends with an escaped backslash, so its quote closes it;
  // "d\\\"e]" has a backslash then an escaped quote then a bracket, all inside the string.
  EXPECT_EQ(MustSplit(R"(["a\"b","c\\",{"k":"d\\\"e]"}])"),
            (Parts{R"("a\"b")", R"("c\\")", R"({"k":"d\\\"e]"})"}));
}

TEST(JsonSplitTest, UnicodeEscapesAndRawUtf8) {
  EXPECT_EQ(MustSplit(R"(["\u0022,\u005d", "é日本", "\ud83d\ude00"])"),
            (Parts{R"("\u0022,\u005d")", R"("é日本")", R"("\ud83d\ude00")"}));
}

TEST(JsonSplitTest, MalformedStructureIsRejected) {
  EXPECT_TRUE(Fails(""));
  EXPECT_TRUE(Fails("   "));
  EXPECT_TRUE(Fails(R"({"a":1})"));  // not an array
  EXPECT_TRUE(Fails(R"("[1]")"));
  EXPECT_TRUE(Fails("[1"));
  EXPECT_TRUE(Fails("[1,"));
  EXPECT_TRUE(Fails("[1,]"));
  EXPECT_TRUE(Fails("[,1]"));
  EXPECT_TRUE(Fails("[1,,2]"));
  EXPECT_TRUE(Fails("[1}"));
  EXPECT_TRUE(Fails("[[1]"));
  EXPECT_TRUE(Fails(R"(["abc])"));      // unterminated string
  EXPECT_TRUE(Fails(R"(["abc\"])"));    // the only closing quote is escaped
  EXPECT_TRUE(Fails("[1] x"));          // trailing bytes
  EXPECT_TRUE(Fails("[1][2]"));
}

TEST(JsonSplitTest, ElementsAreNotValidatedHere) {
  // Documented contract: only structure is checked; the caller validates each element.
  EXPECT_EQ(MustSplit("[1 2, {bad}]"), (Parts{"1 2", "{bad}"}));
}

TEST(JsonSplitTest, HugeArray) {
  std::string text = "[";
  constexpr int kN = 200000;
  for (int i = 0; i < kN; ++i) {
    if (i > 0) text += ',';
    text += R"({"i":")" + std::to_string(i) + R"("})";
  }
  text += ']';
  Parts parts = MustSplit(text);
  ASSERT_EQ(parts.size(), static_cast<size_t>(kN));
  EXPECT_EQ(parts.front(), R"({"i":"0"})");
  EXPECT_EQ(parts.back(), R"({"i":"199999"})");
}

TEST(JsonSplitTest, HostileDepthNeedsNoStack) {
  constexpr size_t kDepth = 1000000;
  std::string deep = "[" + std::string(kDepth, '[') + std::string(kDepth, ']') + "]";
  Parts parts = MustSplit(deep);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].size(), 2 * kDepth);
  EXPECT_TRUE(Fails("[" + std::string(kDepth, '[')));
}

TEST(JsonSplitTest, TrimJsonSpace) {
  EXPECT_EQ(TrimJsonSpace(" \t\r\n{} \n"), "{}");
  EXPECT_EQ(TrimJsonSpace("   "), "");
}

}  // namespace
}  // namespace tracery::ingest::internal
