#include "model/expression.hpp"

#include <charconv>
#include <cmath>

namespace baton::model {

std::string expression_error::to_string() const {
  return message + " at position " + std::to_string(position);
}

bool is_valid_name(std::string_view name) {
  if (name.empty()) return false;
  auto c0 = name[0];
  if (!(std::isalpha(static_cast<unsigned char>(c0)) || c0 == '_')) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

enum class op : std::uint8_t { literal, ref, not_, and_, or_, eq, ne, lt, le, gt, ge };

struct expression::node {
  op kind;
  value literal;     // literal
  std::string name;  // ref
  std::uint32_t lhs = 0, rhs = 0;
};

namespace {

/// Recursive-descent parser over the expression grammar; positions are byte offsets.
class parser {
 public:
  explicit parser(std::string_view text) : text_(text) {}

  std::variant<std::uint32_t, expression_error> run(std::vector<expression::node>& out) {
    nodes_ = &out;
    auto root = parse_or();
    if (error_.message.empty()) {
      skip_space();
      if (pos_ < text_.size()) fail("unexpected '" + std::string(1, text_[pos_]) + "'");
    }
    if (!error_.message.empty()) return error_;
    return root;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool eat(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) == token) {
      pos_ += token.size();
      return true;
    }
    return false;
  }
  void fail(std::string message) {
    if (error_.message.empty()) error_ = {pos_, std::move(message)};
  }
  // Parsing and evaluation recurse: bound nesting and size so that a hostile definition
  // gets a parse error instead of overflowing the stack.
  static constexpr int max_depth = 128;
  static constexpr std::size_t max_nodes = 1024;
  bool enter() {
    if (++depth_ <= max_depth) return true;
    --depth_;
    fail("expression nested too deeply");
    return false;
  }
  std::uint32_t add(expression::node n) {
    if (nodes_->size() >= max_nodes) fail("expression too long");
    nodes_->push_back(std::move(n));
    return static_cast<std::uint32_t>(nodes_->size() - 1);
  }
  std::uint32_t binary(op kind, std::uint32_t lhs, std::uint32_t rhs) {
    return add({kind, {}, {}, lhs, rhs});
  }

  std::uint32_t parse_or() {
    auto lhs = parse_and();
    while (error_.message.empty() && eat("||")) lhs = binary(op::or_, lhs, parse_and());
    return lhs;
  }
  std::uint32_t parse_and() {
    auto lhs = parse_comparison();
    while (error_.message.empty() && eat("&&")) lhs = binary(op::and_, lhs, parse_comparison());
    return lhs;
  }
  // `!` binds tighter than comparison: `!${a} == ${b}` is `(!${a}) == ${b}`.
  std::uint32_t parse_comparison() {
    auto lhs = parse_not();
    if (!error_.message.empty()) return lhs;
    static constexpr std::pair<std::string_view, op> ops[] = {{"==", op::eq}, {"!=", op::ne},
                                                              {"<=", op::le}, {">=", op::ge},
                                                              {"<", op::lt},  {">", op::gt}};
    for (auto [token, kind] : ops) {
      if (eat(token)) return binary(kind, lhs, parse_not());
    }
    return lhs;
  }
  std::uint32_t parse_not() {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '!' && text_.substr(pos_, 2) != "!=") {
      if (!enter()) return 0;
      ++pos_;
      auto inner = parse_not();
      --depth_;
      return add({op::not_, {}, {}, inner, 0});
    }
    return parse_primary();
  }
  std::uint32_t parse_primary() {
    skip_space();
    if (pos_ >= text_.size()) {
      fail("unexpected end of expression");
      return 0;
    }
    char c = text_[pos_];
    if (c == '(') {
      if (!enter()) return 0;
      ++pos_;
      auto inner = parse_or();
      --depth_;
      if (error_.message.empty() && !eat(")")) fail("expected ')'");
      return inner;
    }
    if (c == '$') return parse_ref();
    if (c == '\'' || c == '"') return parse_string(c);
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') return parse_number();
    for (auto [word, lit] : {std::pair{std::string_view("true"), value::of_bool(true)},
                             std::pair{std::string_view("false"), value::of_bool(false)},
                             std::pair{std::string_view("null"), value{}}}) {
      if (text_.substr(pos_, word.size()) == word &&
          (pos_ + word.size() == text_.size() ||
           !std::isalnum(static_cast<unsigned char>(text_[pos_ + word.size()])))) {
        pos_ += word.size();
        return add({op::literal, lit, {}, 0, 0});
      }
    }
    fail("unexpected '" + std::string(1, c) + "'; expected ${name}, a literal or '('");
    return 0;
  }
  std::uint32_t parse_ref() {
    if (text_.substr(pos_, 2) != "${") {
      fail("expected '${'");
      return 0;
    }
    auto start = pos_;
    auto close = text_.find('}', pos_ + 2);
    if (close == std::string_view::npos) {
      fail("unterminated ${");
      return 0;
    }
    auto name = text_.substr(pos_ + 2, close - pos_ - 2);
    if (!is_valid_name(name)) {
      pos_ = start + 2;
      fail("invalid name \"" + std::string(name) + "\"");
      return 0;
    }
    pos_ = close + 1;
    return add({op::ref, {}, std::string(name), 0, 0});
  }
  std::uint32_t parse_string(char quote) {
    std::string out;
    auto start = pos_++;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out += text_[pos_++];
    }
    if (pos_ >= text_.size()) {
      pos_ = start;
      fail("unterminated string");
      return 0;
    }
    ++pos_;
    return add({op::literal, value::of_string(std::move(out)), {}, 0, 0});
  }
  std::uint32_t parse_number() {
    auto start = pos_;
    if (text_[pos_] == '-') ++pos_;
    bool is_double = false;
    while (pos_ < text_.size() &&
           (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
            text_[pos_] == 'e' || text_[pos_] == 'E')) {
      is_double |= !std::isdigit(static_cast<unsigned char>(text_[pos_]));
      ++pos_;
    }
    auto token = text_.substr(start, pos_ - start);
    const char* end = token.data() + token.size();
    if (is_double) {
      double d{};
      auto res = std::from_chars(token.data(), end, d);
      if (res.ec == std::errc{} && res.ptr == end)
        return add({op::literal, value::of_number(d), {}, 0, 0});
    } else {
      std::int64_t i{};
      auto res = std::from_chars(token.data(), end, i);
      if (res.ec == std::errc{} && res.ptr == end)
        return add({op::literal, value::of_integer(i), {}, 0, 0});
    }
    pos_ = start;
    fail("invalid number \"" + std::string(token) + "\"");
    return 0;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::vector<expression::node>* nodes_ = nullptr;
  expression_error error_;
};

bool is_numeric(const value& v) {
  return v.k == value::kind::integer || v.k == value::kind::number;
}
double as_double(const value& v) {
  return v.k == value::kind::integer ? static_cast<double>(v.integer) : v.number;
}

const char* kind_name(const value& v) {
  switch (v.k) {
    case value::kind::null:
      return "null";
    case value::kind::string:
      return "string";
    case value::kind::integer:
    case value::kind::number:
      return "number";
    case value::kind::boolean:
      return "bool";
    case value::kind::json:
      return "json";
  }
  return "?";
}

/// Three-way compare of two values of comparable kinds; error text when they are not.
std::variant<int, std::string> compare(const value& a, const value& b) {
  if (is_numeric(a) && is_numeric(b)) {
    if (a.k == value::kind::integer && b.k == value::kind::integer) {
      return a.integer < b.integer ? -1 : a.integer > b.integer ? 1 : 0;
    }
    double x = as_double(a), y = as_double(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.k == b.k && (a.k == value::kind::string || a.k == value::kind::json)) {
    auto c = a.text.compare(b.text);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (a.k == value::kind::boolean && b.k == value::kind::boolean) {
    return int(a.boolean) - int(b.boolean);
  }
  return std::string("cannot compare ") + kind_name(a) + " with " + kind_name(b);
}

evaluation eval(const std::vector<expression::node>& nodes, std::uint32_t at, const values& scope) {
  const auto& n = nodes[at];
  switch (n.kind) {
    case op::literal:
      return {n.literal, {}};
    case op::ref: {
      auto it = scope.find(n.name);
      return {it == scope.end() ? value{} : it->second, {}};
    }
    case op::not_: {
      auto inner = eval(nodes, n.lhs, scope);
      if (!inner.error.empty()) return inner;
      if (inner.result.k != value::kind::boolean) return {{}, "'!' needs a bool"};
      return {value::of_bool(!inner.result.boolean), {}};
    }
    case op::and_:
    case op::or_: {
      auto lhs = eval(nodes, n.lhs, scope);
      if (!lhs.error.empty()) return lhs;
      if (lhs.result.k != value::kind::boolean) return {{}, "'&&' and '||' need bools"};
      bool short_circuit = n.kind == op::and_ ? !lhs.result.boolean : lhs.result.boolean;
      if (short_circuit) return lhs;
      auto rhs = eval(nodes, n.rhs, scope);
      if (!rhs.error.empty()) return rhs;
      if (rhs.result.k != value::kind::boolean) return {{}, "'&&' and '||' need bools"};
      return rhs;
    }
    default:
      break;
  }
  auto lhs = eval(nodes, n.lhs, scope);
  if (!lhs.error.empty()) return lhs;
  auto rhs = eval(nodes, n.rhs, scope);
  if (!rhs.error.empty()) return rhs;
  if (n.kind == op::eq || n.kind == op::ne) {
    bool equal;
    if (lhs.result.is_null() || rhs.result.is_null()) {
      equal = lhs.result.is_null() && rhs.result.is_null();
    } else {
      auto c = compare(lhs.result, rhs.result);
      equal = std::holds_alternative<int>(c) && std::get<int>(c) == 0;
    }
    return {value::of_bool(n.kind == op::eq ? equal : !equal), {}};
  }
  auto c = compare(lhs.result, rhs.result);
  if (auto* error = std::get_if<std::string>(&c)) return {{}, *error};
  int order = std::get<int>(c);
  bool result = n.kind == op::lt   ? order < 0
                : n.kind == op::le ? order <= 0
                : n.kind == op::gt ? order > 0
                                   : order >= 0;
  return {value::of_bool(result), {}};
}

}  // namespace

std::variant<expression, expression_error> expression::parse(std::string_view text) {
  auto nodes = std::make_shared<std::vector<node>>();
  auto root = parser(text).run(*nodes);
  if (auto* error = std::get_if<expression_error>(&root)) return *error;
  expression e;
  e.text_ = std::string(text);
  e.root_ = std::get<std::uint32_t>(root);
  e.nodes_ = std::move(nodes);
  return e;
}

evaluation expression::evaluate(const values& scope) const {
  if (!nodes_ || nodes_->empty()) return {{}, "empty expression"};
  return eval(*nodes_, root_, scope);
}

evaluation expression::test(const values& scope) const {
  auto e = evaluate(scope);
  if (e.error.empty() && e.result.k != value::kind::boolean) {
    e.error = "condition \"" + text_ + "\" is not a bool";
  }
  return e;
}

std::variant<string_template, expression_error> string_template::parse(std::string_view text) {
  string_template t;
  std::size_t pos = 0;
  std::string literal;
  while (pos < text.size()) {
    if (text[pos] == '$' && pos + 1 < text.size() && text[pos + 1] == '{') {
      auto close = text.find('}', pos + 2);
      if (close == std::string_view::npos) return expression_error{pos, "unterminated ${"};
      auto name = text.substr(pos + 2, close - pos - 2);
      if (!is_valid_name(name)) {
        return expression_error{pos + 2, "invalid name \"" + std::string(name) + "\""};
      }
      if (!literal.empty()) t.parts_.push_back({false, std::move(literal)});
      literal.clear();
      t.parts_.push_back({true, std::string(name)});
      pos = close + 1;
    } else {
      literal += text[pos++];
    }
  }
  if (!literal.empty()) t.parts_.push_back({false, std::move(literal)});
  return t;
}

value string_template::render(const values& scope) const {
  auto lookup = [&](const std::string& name) {
    auto it = scope.find(name);
    return it == scope.end() ? value{} : it->second;
  };
  if (parts_.size() == 1 && parts_[0].is_ref) return lookup(parts_[0].text);
  std::string out;
  for (const auto& p : parts_) out += p.is_ref ? to_display(lookup(p.text)) : p.text;
  return value::of_string(std::move(out));
}

std::vector<std::string> string_template::names() const {
  std::vector<std::string> out;
  for (const auto& p : parts_) {
    if (p.is_ref) out.push_back(p.text);
  }
  return out;
}

}  // namespace baton::model
