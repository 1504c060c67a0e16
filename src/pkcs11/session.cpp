#include "pkcs11/session.h"

namespace sx::p11 {

CK_SESSION_HANDLE Sessions::add(CK_FLAGS flags) {
  auto s = std::make_shared<Session>();
  s->flags = flags;
  std::lock_guard<std::mutex> lk(mu_);
  s->handle = next_++;
  map_[s->handle] = s;
  return s->handle;
}

std::shared_ptr<Session> Sessions::get(CK_SESSION_HANDLE h) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = map_.find(h);
  return it == map_.end() ? nullptr : it->second;
}

bool Sessions::remove(CK_SESSION_HANDLE h) {
  std::lock_guard<std::mutex> lk(mu_);
  if (map_.erase(h) == 0) return false;
  if (map_.empty()) login_ = LoginState::Public;
  return true;
}

std::vector<CK_SESSION_HANDLE> Sessions::remove_all() {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<CK_SESSION_HANDLE> v;
  for (const auto& [h, s] : map_) v.push_back(h);
  map_.clear();
  login_ = LoginState::Public;
  return v;
}

size_t Sessions::count(bool rw_only) const {
  std::lock_guard<std::mutex> lk(mu_);
  if (!rw_only) return map_.size();
  size_t n = 0;
  for (const auto& [h, s] : map_) n += s->rw() ? 1 : 0;
  return n;
}

bool Sessions::any_read_only() const { return count(false) != count(true); }

LoginState Sessions::login() const {
  std::lock_guard<std::mutex> lk(mu_);
  return login_;
}

void Sessions::set_login(LoginState s) {
  std::lock_guard<std::mutex> lk(mu_);
  login_ = s;
}

}  // namespace sx::p11
