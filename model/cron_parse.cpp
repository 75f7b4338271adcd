// Parsing of Quartz cron expressions into cron_expression's bit sets.
//
// The grammar is Quartz 2.3's, made strict: Quartz silently ignores text it does not expect
// (`5X` is 5, `MON/2` is MON, extra fields vanish), so wherever Quartz would read an expression
// differently from how it is written, this parser rejects it with a position instead. What it
// accepts means the same to both; tests/model/quartz_diff_test.cpp checks that against Quartz.

#include <algorithm>
#include <bitset>
#include <cctype>
#include <charconv>

#include "model/cron.hpp"

namespace baton::model {

namespace {

enum field_index : int { second, minute, hour, day_of_month, month, day_of_week, year };

struct field_spec {
  const char* name;
  int min;
  int max;
  int max_step;  // Quartz refuses larger increments for `*/n` and `a/n`; so do we, for all forms
};

constexpr field_spec specs[] = {
    {"seconds", 0, 59, 59},
    {"minutes", 0, 59, 59},
    {"hours", 0, 23, 23},
    {"day-of-month", 1, 31, 31},
    {"month", 1, 12, 12},
    {"day-of-week", 1, 7, 7},
    {"year", 1970, 2199, 2199 - 1970},
};

constexpr std::string_view month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::string_view day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

bool is_separator(char c) {
  // Quartz splits on exactly these two.
  return c == ' ' || c == '\t';
}

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

struct token {
  enum kind_t : std::uint8_t { number, word, punct, end } kind;
  std::string_view text;  // as written
  std::size_t pos;        // absolute offset in the expression
  int value = 0;          // number: its value, capped; punct: the character
};

/// Splits one field into numbers, words (runs of letters) and single punctuation characters.
std::vector<token> tokenize(std::string_view field, std::size_t offset) {
  std::vector<token> out;
  std::size_t i = 0;
  while (i < field.size()) {
    std::size_t j = i + 1;
    if (is_digit(field[i])) {
      int value = 0;
      for (j = i; j < field.size() && is_digit(field[j]); ++j)
        value = std::min(value * 10 + (field[j] - '0'), 1'000'000);  // cap: reported as range
      out.push_back({token::number, field.substr(i, j - i), offset + i, value});
    } else if (is_letter(field[i])) {
      while (j < field.size() && is_letter(field[j])) ++j;
      out.push_back({token::word, field.substr(i, j - i), offset + i});
    } else {
      out.push_back({token::punct, field.substr(i, 1), offset + i, field[i]});
    }
    i = j;
  }
  out.push_back({token::end, {}, offset + field.size()});
  return out;
}

/// One field, parsed.
struct field_value {
  std::bitset<232> bits;  // bit v - spec.min
  bool no_spec = false;   // '?'
  // Day fields only: a special form that stands alone in its field.
  enum special_t : std::uint8_t {
    none,
    last_day,
    last_weekday,
    nearest_weekday,
    last_of_week_day,
    nth_of_week_day
  } special = none;
  int arg = 0;
  int nth = 0;
};

class field_parser {
 public:
  field_parser(field_index index, std::string_view field, std::size_t offset)
      : index_(index), spec_(specs[index]), tokens_(tokenize(field, offset)) {}

  std::variant<field_value, cron_error> run() {
    if (auto err = parse_field()) return *err;
    return std::move(out_);
  }

 private:
  using result = std::optional<cron_error>;

  bool day_field() const { return index_ == day_of_month || index_ == day_of_week; }
  const token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(at_ + ahead, tokens_.size() - 1)];
  }
  const token& take() { return tokens_[std::min(at_++, tokens_.size() - 1)]; }
  static bool is_punct(const token& t, char c) { return t.kind == token::punct && t.value == c; }
  bool is_word(const token& t, std::string_view w) const {
    return t.kind == token::word && upper(t.text) == w;
  }

  cron_error error(std::size_t pos, std::string message) const {
    return {spec_.name, pos, std::move(message)};
  }

  /// The error for a token that the grammar does not allow where it stands.
  cron_error unexpected(const token& t) const {
    switch (t.kind) {
      case token::end:
        return error(t.pos, "unexpected end of field");
      case token::number:
        return error(t.pos, "unexpected number " + std::string(t.text));
      case token::word:
        return misplaced_letter(t).value_or(
            error(t.pos, "unknown name \"" + std::string(t.text) + "\""));
      case token::punct:
        if (t.value == '?')
          return day_field() ? error(t.pos, "'?' must be the whole field")
                             : error(t.pos, "'?' is only allowed in day-of-month and day-of-week");
        if (t.value == '#' && index_ != day_of_week)
          return error(t.pos, "'#' is only allowed in day-of-week");
        return error(t.pos, "unexpected character '" + std::string(t.text) + "'");
    }
    return error(t.pos, "unexpected input");
  }

  /// A better message than "unknown name" for Quartz's special letters out of place.
  std::optional<cron_error> misplaced_letter(const token& t) const {
    const auto w = upper(t.text);
    if (w == "L" || w == "LW") {
      // In a day field 'L' is fine on its own; reaching here, it is not on its own.
      return day_field() ? error(t.pos, "'L' cannot be combined with other values")
                         : error(t.pos, "'L' is only allowed in day-of-month and day-of-week");
    }
    if (w == "W")
      return index_ == day_of_month ? error(t.pos, "'W' must follow a single day, as in 15W")
                                    : error(t.pos, "'W' is only allowed in day-of-month");
    return std::nullopt;
  }

  result parse_field() {
    if (is_punct(peek(), '?')) {
      if (!day_field()) return unexpected(peek());
      take();
      if (peek().kind != token::end) return error(peek().pos, "'?' must be the whole field");
      out_.no_spec = true;
      return {};
    }
    if (index_ == day_of_month) {
      if (peek().kind == token::word && upper(peek().text).front() == 'L') return parse_last_day();
      if (peek().kind == token::number && is_word(peek(1), "W")) return parse_nearest_weekday();
    }
    if (index_ == day_of_week) {
      if (is_word(peek(), "L")) {
        // Quartz: a lone 'L' in day-of-week simply means 7, Saturday.
        take();
        out_.bits.set(7 - spec_.min);
        return alone("'L'");
      }
      if (auto special = parse_week_day_special()) return *special;
      if (out_.special != field_value::none) return {};
    }
    return parse_list();
  }

  /// After a form that must stand alone: anything more is an error.
  result alone(std::string_view what) {
    const auto& t = peek();
    if (t.kind == token::end) return {};
    if (is_punct(t, ','))
      return error(t.pos, std::string(what) + " cannot be combined with other values");
    return unexpected(t);
  }

  /// `L`, `L-n`, `LW`, `L-nW` in day-of-month.
  result parse_last_day() {
    const auto& first = take();
    const auto w = upper(first.text);
    if (w != "L" && w != "LW")
      return error(first.pos, "unknown name \"" + std::string(first.text) + "\"");
    bool weekday = w == "LW";
    if (!weekday && is_punct(peek(), '-')) {
      take();
      const auto& n = take();
      if (n.kind != token::number)
        return n.kind == token::end ? error(n.pos, "missing number after 'L-'") : unexpected(n);
      if (n.value > 30)
        return error(n.pos, "offset " + std::string(n.text) + " is out of range 0-30");
      out_.arg = n.value;
      if (is_word(peek(), "W")) {
        take();
        weekday = true;
      }
    }
    out_.special = weekday ? field_value::last_weekday : field_value::last_day;
    return alone(weekday ? "'LW'" : "'L'");
  }

  /// `nW` in day-of-month.
  result parse_nearest_weekday() {
    const auto& n = take();
    take();  // W
    if (n.value < 1 || n.value > 31)
      return error(n.pos, "value " + std::string(n.text) + " is out of range 1-31");
    out_.special = field_value::nearest_weekday;
    out_.arg = n.value;
    return alone("'W'");
  }

  /// `nL`, `n#k` (also with names: `FRIL`, `FRI#3`) in day-of-week. Returns an error, or
  /// nothing: then `out_.special` tells whether the field was one of these or is a list.
  result parse_week_day_special() {
    const auto& v = peek();
    int value = 0;
    bool last = false;
    if (v.kind == token::number) {
      value = v.value;
      if (is_word(peek(1), "L"))
        last = true;
      else if (!is_punct(peek(1), '#'))
        return {};
    } else if (v.kind == token::word) {
      const auto w = upper(v.text);
      if (w.size() == 4 && w.back() == 'L' && name_value(w.substr(0, 3)) > 0) {
        value = name_value(w.substr(0, 3));
        last = true;
      } else if (w.size() == 3 && name_value(w) > 0 && is_punct(peek(1), '#')) {
        value = name_value(w);
      } else {
        return {};
      }
    } else {
      return {};
    }
    take();
    if (value < spec_.min || value > spec_.max)
      return error(v.pos, "value " + std::string(v.text) + " is out of range 1-7");
    out_.arg = value;
    if (last) {
      if (v.kind == token::number) take();  // L
      out_.special = field_value::last_of_week_day;
      return alone("'L'");
    }
    take();  // #
    const auto& n = take();
    if (n.kind != token::number)
      return n.kind == token::end ? error(n.pos, "missing number after '#'") : unexpected(n);
    if (n.value < 1 || n.value > 5)
      return error(n.pos, "occurrence " + std::string(n.text) + " is out of range 1-5");
    out_.special = field_value::nth_of_week_day;
    out_.nth = n.value;
    return alone("'#'");
  }

  /// 1-based value of a month or day name in this field, 0 when it is none.
  int name_value(std::string_view w) const {
    if (index_ == month) {
      for (std::size_t i = 0; i < 12; ++i)
        if (w == month_names[i]) return static_cast<int>(i) + 1;
    } else if (index_ == day_of_week) {
      for (std::size_t i = 0; i < 7; ++i)
        if (w == day_names[i]) return static_cast<int>(i) + 1;
    }
    return 0;
  }

  /// item (',' item)*
  result parse_list() {
    for (;;) {
      if (auto err = parse_item()) return err;
      const auto& t = peek();
      if (t.kind == token::end) return {};
      if (!is_punct(t, ',')) return after_value(t);
      take();
    }
  }

  /// The error for what follows a complete list item when it is not ',' or the end.
  cron_error after_value(const token& t) const {
    if (is_word(t, "W") && index_ == day_of_month)
      return error(t.pos, "'W' needs a single day, not a list, range or step");
    if (is_word(t, "L") && index_ == day_of_week)
      return error(t.pos, "'L' needs a single day, not a list, range or step");
    if (is_word(t, "L") && index_ == day_of_month)
      return error(t.pos, "'L' after a day is not valid in day-of-month; use 'L' or 'L-n'");
    if (is_punct(t, '#') && index_ == day_of_week)
      return error(t.pos, "'#' needs a single day, not a list, range or step");
    return unexpected(t);
  }

  struct value_t {
    int value;
    bool name;
    token tok;
  };

  std::variant<value_t, cron_error> parse_value() {
    const auto& t = take();
    if (t.kind == token::number) {
      if (t.value < spec_.min || t.value > spec_.max)
        return error(t.pos, "value " + std::string(t.text) + " is out of range " +
                                std::to_string(spec_.min) + "-" + std::to_string(spec_.max));
      return value_t{t.value, false, t};
    }
    if (t.kind == token::word) {
      if (const int v = name_value(upper(t.text)); v > 0) return value_t{v, true, t};
      return unexpected(t);
    }
    if (t.kind == token::end || is_punct(t, ',')) return error(t.pos, "missing value");
    return unexpected(t);
  }

  std::variant<int, cron_error> parse_step() {
    const auto& slash = take();
    const auto& n = take();
    if (n.kind != token::number)
      return n.kind == token::end || is_punct(n, ',')
                 ? error(slash.pos, "'/' must be followed by a number")
                 : unexpected(n);
    if (n.value < 1 || n.value > spec_.max_step)
      return error(n.pos, "step " + std::string(n.text) + " is out of range 1-" +
                              std::to_string(spec_.max_step));
    return n.value;
  }

  /// '*' ['/' step] | '/' step | value ['-' value] ['/' step]
  result parse_item() {
    int start = spec_.min;
    int stop = spec_.max;
    int step = 1;
    if (is_punct(peek(), '*') || is_punct(peek(), '/')) {
      // Quartz reads a bare "/n" as "*/n".
      if (is_punct(peek(), '*')) take();
      if (is_punct(peek(), '/')) {
        auto s = parse_step();
        if (auto* err = std::get_if<cron_error>(&s)) return *err;
        step = std::get<int>(s);
      }
      add(start, stop, step);
      return {};
    }
    auto first = parse_value();
    if (auto* err = std::get_if<cron_error>(&first)) return *err;
    const auto a = std::get<value_t>(first);
    start = a.value;
    bool range = false;
    if (is_punct(peek(), '-')) {
      take();
      auto second = parse_value();
      if (auto* err = std::get_if<cron_error>(&second)) return *err;
      const auto b = std::get<value_t>(second);
      if (a.name != b.name) return error(b.tok.pos, "a range cannot mix a name and a number");
      stop = b.value;
      range = true;
      if (index_ == year && stop < start)
        return error(a.tok.pos, "range " + std::to_string(start) + "-" + std::to_string(stop) +
                                    " is reversed; years cannot wrap around");
    }
    if (is_punct(peek(), '/')) {
      if (a.name) return error(peek().pos, "a step cannot follow a name; Quartz would ignore it");
      auto s = parse_step();
      if (auto* err = std::get_if<cron_error>(&s)) return *err;
      step = std::get<int>(s);
      if (!range) stop = spec_.max;  // "a/n": from a to the end of the field
    } else if (!range) {
      stop = start;
    }
    add(start, stop, step);
    return {};
  }

  /// Sets start, start+step, ... up to stop; a range whose stop is below its start wraps
  /// around the end of the field, as Quartz does (`22-2` hours, `NOV-FEB`).
  void add(int start, int stop, int step) {
    const int span = spec_.max - spec_.min + 1;
    if (stop < start) stop += span;
    for (int v = start; v <= stop; v += step)
      out_.bits.set((v > spec_.max ? v - span : v) - spec_.min);
  }

  field_index index_;
  const field_spec& spec_;
  std::vector<token> tokens_;
  std::size_t at_ = 0;
  field_value out_;
};

template <typename T>
T low_bits(const std::bitset<232>& bits, int shift) {
  T out = 0;
  for (std::size_t i = shift; i < sizeof(T) * 8; ++i)
    if (bits.test(i - shift)) out |= T{1} << i;
  return out;
}

}  // namespace

std::string cron_error::to_string() const {
  return field + ": " + message + " at position " + std::to_string(position);
}

std::variant<cron_expression, cron_error> cron_expression::parse(std::string_view text) {
  struct span {
    std::string_view text;
    std::size_t pos;
  };
  std::vector<span> fields;
  for (std::size_t i = 0; i < text.size();) {
    if (is_separator(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && !is_separator(text[j])) ++j;
    fields.push_back({text.substr(i, j - i), i});
    i = j;
  }
  if (fields.size() == 5) {
    // The usual mistake: a Unix crontab line. Quartz counts seconds first.
    return cron_error{specs[5].name, text.size(),
                      "missing field: Quartz expressions start with seconds (6 or 7 fields); "
                      "the Unix expression \"" +
                          std::string(text) + "\" is \"0 " + std::string(text) +
                          "\" here, with '?' in day-of-month or day-of-week"};
  }
  if (fields.size() < 6) return cron_error{specs[fields.size()].name, text.size(), "missing field"};
  if (fields.size() > 7)
    return cron_error{"expression", fields[7].pos,
                      "unexpected 8th field \"" + std::string(fields[7].text) +
                          "\"; a cron expression has 6 or 7 fields"};

  std::array<field_value, 7> values;
  for (int f = 0; f < 7; ++f) {
    if (f == year && fields.size() == 6) {
      values[f].bits.set();  // no year: every year
      continue;
    }
    auto parsed = field_parser(static_cast<field_index>(f), fields[f].text, fields[f].pos).run();
    if (auto* err = std::get_if<cron_error>(&parsed)) return std::move(*err);
    values[f] = std::get<field_value>(std::move(parsed));
  }

  const auto& dom = values[day_of_month];
  const auto& dow = values[day_of_week];
  if (dom.no_spec == dow.no_spec) {
    const auto& at = fields[day_of_week];
    return cron_error{specs[day_of_week].name, at.pos,
                      dom.no_spec
                          ? "'?' cannot be in both day-of-month and day-of-week"
                          : "'?' must be in exactly one of day-of-month and day-of-week (got \"" +
                                std::string(fields[day_of_month].text) + "\" and \"" +
                                std::string(at.text) + "\")"};
  }

  cron_expression out;
  out.text_ = std::string(text);
  out.seconds_ = low_bits<std::uint64_t>(values[second].bits, 0);
  out.minutes_ = low_bits<std::uint64_t>(values[minute].bits, 0);
  out.hours_ = low_bits<std::uint32_t>(values[hour].bits, 0);
  out.months_ = low_bits<std::uint16_t>(values[month].bits, 1);
  for (std::size_t i = 0; i < 230; ++i)
    if (values[year].bits.test(i)) out.years_[i / 64] |= std::uint64_t{1} << (i % 64);

  const auto& day = dom.no_spec ? dow : dom;
  out.day_arg_ = static_cast<std::uint8_t>(day.arg);
  out.nth_ = static_cast<std::uint8_t>(day.nth);
  switch (day.special) {
    case field_value::none:
      if (dom.no_spec) {
        out.day_rule_ = day_rule::week_days;
        out.days_of_week_ = low_bits<std::uint8_t>(dow.bits, 1);
      } else {
        out.day_rule_ = day_rule::month_days;
        out.days_of_month_ = low_bits<std::uint32_t>(dom.bits, 1);
      }
      break;
    case field_value::last_day:
      out.day_rule_ = day_rule::last_day;
      break;
    case field_value::last_weekday:
      out.day_rule_ = day_rule::last_weekday;
      break;
    case field_value::nearest_weekday:
      out.day_rule_ = day_rule::nearest_weekday;
      break;
    case field_value::last_of_week_day:
      out.day_rule_ = day_rule::last_of_week_day;
      break;
    case field_value::nth_of_week_day:
      out.day_rule_ = day_rule::nth_of_week_day;
      break;
  }
  return out;
}

}  // namespace baton::model
