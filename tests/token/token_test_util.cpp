#include "token_test_util.h"

#include <filesystem>


namespace sx::token::test {

namespace fs = std::filesystem;

const std::string& factory_nvm() {
  static sx::testing::TempDir* dir = new sx::testing::TempDir();  // lives for the whole run (one factory image)
  static const std::string path = [] {
    const std::string p = dir->file("factory.nvm");
    sim::Config cfg;
    cfg.nvm_path = p;
    cfg.fsync = false;
    auto s = sim::Simulator::open(cfg);
    if (!s.ok()) {
      ADD_FAILURE() << s.error().to_string();
      return std::string();
    }
    return p;
  }();
  return path;
}

std::unique_ptr<Chip> Chip::open_file(const std::string& nvm) {
  auto c = std::make_unique<Chip>();
  sim::Config cfg;
  cfg.nvm_path = nvm;
  cfg.fsync = false;
  auto s = sim::Simulator::open(cfg);
  if (!s.ok()) {
    ADD_FAILURE() << s.error().to_string();
    return nullptr;
  }
  c->sim = std::move(*s);
  c->raw = std::make_unique<sx::testing::SimChannel>(*c->sim);
  c->ch = std::make_unique<RecordingChannel>(*c->raw);
  return c;
}

std::unique_ptr<Chip> Chip::fresh(const sx::testing::TempDir& dir, const std::string& name) {
  const std::string p = dir.file(name);
  fs::copy_file(factory_nvm(), p, fs::copy_options::overwrite_existing);
  return open_file(p);
}

TokenOptions test_options(const std::string& lock_path) {
  TokenOptions o;
  o.lock_path = lock_path;
  o.pin_iterations = kMinPinIterations;
  return o;
}

std::unique_ptr<Token> open_token(link::ApduChannel& ch, const TokenOptions& opt) {
  auto t = Token::open(ch, opt);
  if (!t.ok()) {
    ADD_FAILURE() << "Token::open: " << t.error().to_string();
    return nullptr;
  }
  return std::move(*t);
}

std::unique_ptr<Token> open_token_read(link::ApduChannel& ch, const TokenOptions& opt) {
  auto t = open_token(ch, opt);
  if (!t) return t;
  if (auto st = t->load_all_bytes(); !st) {
    ADD_FAILURE() << "Token::load_all_bytes: " << st.error().to_string();
    return nullptr;
  }
  return t;
}

const Object* find_one(const Token& t, const std::string& label, ObjectClass cls) {
  const Object* found = nullptr;
  for (const auto& o : t.objects()) {
    if (o.label != label || o.cls != cls) continue;
    if (found) {
      ADD_FAILURE() << "two " << class_name(cls) << " objects labelled " << label;
      return nullptr;
    }
    found = &o;
  }
  return found;
}

size_t count_class(const Token& t, ObjectClass cls) {
  size_t n = 0;
  for (const auto& o : t.objects()) n += o.cls == cls;
  return n;
}

}  // namespace sx::token::test
