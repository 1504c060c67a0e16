#include "pkcs11/handles.h"

#include "base/bytes.h"

namespace sx::p11 {

SessionObject::~SessionObject() {
  for (auto& [t, v] : values) secure_wipe(v);
}

CK_OBJECT_HANDLE Handles::for_ref(token::ObjectRef r) {
  std::lock_guard<std::mutex> lk(mu_);
  auto [it, inserted] = by_ref_.try_emplace(key(r), next_);
  if (inserted) {
    refs_[next_] = r;
    ++next_;
  }
  return it->second;
}

std::optional<token::ObjectRef> Handles::ref(CK_OBJECT_HANDLE h) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = refs_.find(h);
  if (it == refs_.end()) return std::nullopt;
  return it->second;
}

CK_OBJECT_HANDLE Handles::add(CK_SESSION_HANDLE owner, const token::ObjectKind& kind, token::AttrMap values) {
  auto o = std::make_shared<SessionObject>();
  o->owner = owner;
  o->kind = kind;
  o->values = std::move(values);
  return add(std::move(o));
}

CK_OBJECT_HANDLE Handles::add(std::shared_ptr<SessionObject> o) {
  std::lock_guard<std::mutex> lk(mu_);
  CK_OBJECT_HANDLE h = next_++;
  session_[h] = std::move(o);
  return h;
}

std::shared_ptr<SessionObject> Handles::session_object(CK_OBJECT_HANDLE h) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = session_.find(h);
  return it == session_.end() ? nullptr : it->second;
}

std::vector<CK_OBJECT_HANDLE> Handles::session_handles() const {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<CK_OBJECT_HANDLE> v;
  for (const auto& [h, o] : session_) v.push_back(h);
  return v;
}

bool Handles::erase(CK_OBJECT_HANDLE h) {
  std::lock_guard<std::mutex> lk(mu_);
  return session_.erase(h) > 0;
}

void Handles::mark_gone_with_pair(CK_OBJECT_HANDLE h) {
  std::lock_guard<std::mutex> lk(mu_);
  gone_.insert(h);
}

bool Handles::gone_with_pair(CK_OBJECT_HANDLE h) const {
  std::lock_guard<std::mutex> lk(mu_);
  return gone_.count(h) != 0;
}

std::vector<uint32_t> Handles::drop_owned_by(CK_SESSION_HANDLE s) {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<uint32_t> keys;
  std::erase_if(session_, [s, &keys](const auto& kv) {
    if (kv.second->owner != s) return false;
    if (kv.second->chip_id != 0) keys.push_back(kv.second->chip_id);
    return true;
  });
  return keys;
}

std::vector<uint32_t> Handles::drop_all_session_objects() {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<uint32_t> keys;
  for (const auto& [h, o] : session_)
    if (o->chip_id != 0) keys.push_back(o->chip_id);
  session_.clear();
  return keys;
}

}  // namespace sx::p11
