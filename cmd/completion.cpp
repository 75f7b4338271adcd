// `baton completion bash|zsh`: the script is made from the CLI11 command tree itself, so a
// command added anywhere completes without a second list to keep in step.
#include <CLI/CLI.hpp>
#include <iostream>
#include <sstream>

#include "cmd/remote.hpp"

namespace baton::cmd {

namespace {

struct command_words {
  std::string path;   ///< " process start": the words leading to the command
  std::string words;  ///< what may follow: subcommands and options
};

void collect(const CLI::App& app, const std::string& path, std::vector<command_words>& out) {
  std::string words;
  auto subs = const_cast<CLI::App&>(app).get_subcommands([](CLI::App*) { return true; });
  for (const auto* sub : subs) words += (words.empty() ? "" : " ") + sub->get_name();
  for (const auto* opt : app.get_options()) {
    for (const auto& name : opt->get_lnames()) words += (words.empty() ? "--" : " --") + name;
  }
  out.push_back({path, words});
  for (const auto* sub : subs) collect(*sub, path + " " + sub->get_name(), out);
}

std::string bash_script(const CLI::App& app) {
  std::vector<command_words> commands;
  collect(app, "", commands);
  std::ostringstream out;
  out << "# baton completion (bash): eval \"$(baton completion bash)\"\n"
      << "_baton() {\n"
      << "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" w i\n"
      << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      << "    w=\"${COMP_WORDS[i]}\"\n"
      << "    case \"$path $w\" in\n";
  // Only words that name a command extend the path; option values and positionals do not.
  std::string known;
  for (const auto& c : commands)
    if (!c.path.empty()) known += (known.empty() ? "      \"" : "|\"") + c.path + "\"";
  out << known << ") path=\"$path $w\" ;;\n"
      << "    esac\n"
      << "  done\n"
      << "  local words=\"\"\n"
      << "  case \"$path\" in\n";
  for (const auto& c : commands)
    out << "    \"" << c.path << "\") words=\"" << c.words << "\" ;;\n";
  out << "  esac\n"
      << "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      << "}\n"
      << "complete -o default -F _baton baton\n";
  return out.str();
}

}  // namespace

void add_completion_command(CLI::App& app, remote_context& ctx) {
  auto shell = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("completion", "print a shell completion script");
  cmd->add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  cmd->callback([&app, &ctx, shell] {
    if (*shell == "zsh") {
      // zsh runs bash completion functions through its bashcompinit layer.
      std::cout << "# baton completion (zsh): eval \"$(baton completion zsh)\"\n"
                << "autoload -U +X compinit && compinit\n"
                << "autoload -U +X bashcompinit && bashcompinit\n";
    }
    std::cout << bash_script(app);
    ctx.exit_code = 0;
  });
}

}  // namespace baton::cmd
