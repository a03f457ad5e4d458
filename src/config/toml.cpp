#include "zfpm/config/toml.hpp"

#include <toml++/toml.h>

#include <algorithm>

#include "zfpm/config/directives.hpp"

namespace zfpm::config {

namespace {

// A leaf of the document with its dotted path, in the order it appears in the file (toml++
// keeps tables sorted by key; php_value order and pool order should follow the file).
struct Leaf {
  std::string path;  // "pm.max_children", relative to the table being read
  const toml::node* node;
  toml::source_position where;
};

void flatten(const toml::table& table, const std::string& prefix, std::vector<Leaf>& out) {
  for (const auto& [key, node] : table) {
    std::string path =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      flatten(*sub, path, out);
    } else {
      out.push_back({path, &node, node.source().begin});
    }
  }
}

std::vector<Leaf> leaves(const toml::table& table) {
  std::vector<Leaf> out;
  flatten(table, "", out);
  std::stable_sort(out.begin(), out.end(), [](const Leaf& a, const Leaf& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  return out;
}

// A TOML value as the text php-fpm's value parsers take: booleans "1"/"0", integers in decimal.
std::optional<std::string> as_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* b = node.as_boolean()) return std::string(b->get() ? "1" : "0");
  return std::nullopt;
}

// `listen` and `pm` are also tables (listen.owner, pm.max_children), which TOML cannot combine
// with a value of their own: listen.address and pm.style stand for them.
std::string directive_name(const std::string& path) {
  if (path == "listen.address") return "listen";
  if (path == "pm.style") return "pm";
  return path;
}

class TomlReader {
 public:
  TomlReader(const std::string& file, ParseResult& result) : file_(file), result_(result) {}

  void document(const toml::table& root) {
    for (const auto& [key, node] : root) {
      if (key == "global" && node.is_table()) {
        global(*node.as_table());
      } else if (key == "pool" && node.is_table()) {
        pools(*node.as_table());
      } else {
        error(node.source().begin, "unknown entry '" + std::string(key.str()) + "'");
      }
    }
  }

 private:
  void error(const toml::source_position& where, const std::string& message) {
    result_.diagnostics.push_back({file_, static_cast<int>(where.line),
                                   "[" + file_ + ":" + std::to_string(where.line) + "] " + message,
                                   Level::Error});
  }

  void outcome(const Leaf& leaf, const std::string& scope, const DirectiveOutcome& outcome) {
    if (outcome.kind == DirectiveOutcome::Kind::Unknown) {
      error(leaf.where, "unknown entry '" + scope + leaf.path + "'");
    } else if (outcome.kind == DirectiveOutcome::Kind::Invalid) {
      error(leaf.where,
            "unable to parse value for entry '" + scope + leaf.path + "': " + outcome.reason);
    }
  }

  void global(const toml::table& table) {
    for (const auto& leaf : leaves(table)) {
      auto text = as_text(*leaf.node);
      if (!text) {
        error(leaf.where, "unable to parse value for entry 'global." + leaf.path +
                              "': a string, an integer or a boolean is expected");
        continue;
      }
      outcome(leaf, "global.", set_global_directive(result_.config.global, leaf.path, *text));
    }
  }

  void pools(const toml::table& table) {
    std::vector<std::pair<toml::source_position, std::string>> order;
    for (const auto& [name, node] : table) {
      if (!node.is_table()) {
        error(node.source().begin, "'pool." + std::string(name.str()) + "' must be a table");
        continue;
      }
      order.emplace_back(node.source().begin, std::string(name.str()));
    }
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      return std::pair(a.first.line, a.first.column) < std::pair(b.first.line, b.first.column);
    });
    for (const auto& [where, name] : order) pool(name, *table[name].as_table());
  }

  void pool(const std::string& name, const toml::table& table) {
    PoolConfig pool;
    pool.name = name;
    const std::string scope = "pool." + name + ".";
    for (const auto& leaf : leaves(table)) {
      auto dot = leaf.path.find('.');
      auto head = leaf.path.substr(0, dot);
      if (is_pool_array(head) || leaf.path == "access.suppress_path") {
        array(pool, scope, leaf, head);
        continue;
      }
      auto text = as_text(*leaf.node);
      if (!text) {
        error(leaf.where, "unable to parse value for entry '" + scope + leaf.path +
                              "': a string, an integer or a boolean is expected");
        continue;
      }
      outcome(leaf, scope, set_pool_directive(pool, directive_name(leaf.path), *text));
    }
    result_.config.pools.push_back(std::move(pool));
  }

  // php_value.memory_limit = "64M" (the key may itself be dotted: php_value.session.name),
  // env.PATH = "...", access.suppress_path = ["/ping"].
  void array(PoolConfig& pool, const std::string& scope, const Leaf& leaf,
             const std::string& head) {
    auto report = [&](const std::vector<std::string>& errors) {
      for (const auto& message : errors)
        error(leaf.where, "'" + scope + leaf.path + "': " + message);
    };
    if (leaf.path == "access.suppress_path") {
      const auto* list = leaf.node->as_array();
      if (!list) {
        report({"an array of paths is expected"});
        return;
      }
      for (const auto& item : *list) {
        auto text = as_text(item);
        report(text ? add_pool_array(pool, "access.suppress_path", "", *text)
                    : std::vector<std::string>{"an array of paths is expected"});
      }
      return;
    }
    if (head.size() == leaf.path.size()) {
      report({"a table is expected (" + head + ".name = value)"});
      return;
    }
    auto text = as_text(*leaf.node);
    if (!text) {
      report({"a string, an integer or a boolean is expected"});
      return;
    }
    report(add_pool_array(pool, head, leaf.path.substr(head.size() + 1), *text));
  }

  const std::string& file_;
  ParseResult& result_;
};

}  // namespace

ParseResult parse_toml(std::string_view text, const std::string& file) {
  ParseResult result;
  try {
    auto root = toml::parse(text, file);
    TomlReader(file, result).document(root);
  } catch (const toml::parse_error& e) {
    auto line = e.source().begin.line;
    result.diagnostics.push_back(
        {file, static_cast<int>(line),
         "[" + file + ":" + std::to_string(line) + "] " + std::string(e.description()),
         Level::Error});
  }
  return result;
}

}  // namespace zfpm::config
