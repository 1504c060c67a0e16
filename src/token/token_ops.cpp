// Token updates. Every one runs under ChipLock after sync_locked(), and
// orders its chip writes so a cut anywhere leaves the old or the new state:
//   create:  commit Pending record -> chip write -> commit Committed record
//   destroy: delete chip object -> commit without the record
//   attrs:   one metadata commit
#include <algorithm>

#include "token/id_range.h"
#include "token/token.h"

namespace sx::token {

namespace {

Error invalid(const std::string& what) { return make_error(Errc::InvalidArgument, what); }

Status check_label(const std::string& l) {
  if (l.size() > kMaxLabel || !valid_utf8(l)) return invalid("label longer than 255 bytes or not UTF-8");
  return {};
}

std::set<ObjectClass> views_of(ObjectClass main, se05x::ObjectKind k) {
  if (is_pair(k)) return {ObjectClass::PrivateKey, ObjectClass::PublicKey};
  return {main};
}

}  // namespace

Status Token::commit(Metadata next) {
  // A chip-PIN token's slots accept writes only inside a session (docs/chip-pin.md §2):
  // say so before anything is written rather than after a 6986.
  const bool chip = (next.token.flags & tokflag::kChipPin) != 0;
  if (chip && !logged_in()) return make_error(Errc::NotLoggedIn, "chip-PIN token: changes need a login");
  store_.set_creation_policy(chip ? chip_policy(ObjectClass::Data, false, true) : Bytes{});
  auto st = store_.commit(next);
  if (!st.ok()) need_rescan_ = true;
  return st;
}

// Uniqueness a demanding PKCS#11 user relies on (Greengrass: exactly one private
// key and one certificate per label; CKA_ID unique per class): among keys and
// certificates no two objects of one class share a non-empty label or CKA_ID.
Status Token::check_unique(std::string_view label, ByteView ckid, const std::set<ObjectClass>& classes,
                           const std::set<uint32_t>& exclude) const {
  for (const auto& o : objects_) {
    if (exclude.count(o.chip_id) || !classes.count(o.cls) || o.cls == ObjectClass::Data) continue;
    if (!label.empty() && o.label == label)
      return make_error(Errc::Exists, std::string("a ") + class_name(o.cls) + " labelled '" + std::string(label) +
                                          "' already exists (chip object " + default_label(o.chip_id) + ")");
    if (!ckid.empty() && o.id.size() == ckid.size() && std::equal(o.id.begin(), o.id.end(), ckid.begin()))
      return make_error(Errc::Exists, std::string("a ") + class_name(o.cls) + " with CKA_ID " + to_hex(ckid) +
                                          " already exists (chip object " + default_label(o.chip_id) + ")");
  }
  return {};
}

namespace {

// Two records that will coexist must not collide on a class they share (the
// same rule as check_unique, for records not yet in objects_).
Status check_pair_unique(const ObjectRecord& a, const std::set<ObjectClass>& ca, const ObjectRecord& b,
                         const std::set<ObjectClass>& cb) {
  for (ObjectClass c : ca) {
    if (c == ObjectClass::Data || !cb.count(c)) continue;
    if (!a.label.empty() && a.label == b.label)
      return make_error(Errc::Exists, std::string("two ") + class_name(c) + "s would be labelled '" + a.label + "'");
    if (!a.ckid.empty() && a.ckid == b.ckid)
      return make_error(Errc::Exists, std::string("two ") + class_name(c) + "s would have CKA_ID " + to_hex(a.ckid));
  }
  return {};
}

}  // namespace

// Next unused ID above the high-water mark (IDs are not reused), checked on the chip.
Result<uint32_t> Token::allocate_id(const Metadata& md) {
  uint64_t next = std::max<uint64_t>(md.token.next_id, ids::kAllocFirst);
  for (uint32_t id : all_ids_)
    if (id >= ids::kAllocFirst && id <= ids::kAllocLast) next = std::max<uint64_t>(next, uint64_t{id} + 1);
  for (const auto& r : md.objects)
    if (r.chip_id >= ids::kAllocFirst && r.chip_id <= ids::kAllocLast)
      next = std::max<uint64_t>(next, uint64_t{r.chip_id} + 1);
  auto taken = [&](uint32_t id) {
    return std::find(all_ids_.begin(), all_ids_.end(), id) != all_ids_.end() || md.find(id) != nullptr;
  };
  // Past the end of the range: reuse the lowest free ID.
  if (next > ids::kAllocLast) {
    next = ids::kAllocFirst;
    while (next <= ids::kAllocLast && taken(static_cast<uint32_t>(next))) ++next;
    if (next > ids::kAllocLast) return make_error(Errc::NoMemory, "the module's object-ID range is full");
  }
  for (int tries = 0; tries < 16 && next <= ids::kAllocLast; ++tries, ++next) {
    const auto id = static_cast<uint32_t>(next);
    if (taken(id)) continue;
    SX_ASSIGN(bool exists, client_.check_object_exists(id));
    if (!exists) return id;
  }
  return make_error(Errc::Exists, "no free chip object ID found in the module range");
}

Result<ObjectRecord> Token::new_record(uint32_t chip_id, ObjectClass cls, KeyType kt, const NewObject& a,
                                       uint32_t flags) const {
  ObjectRecord r;
  r.chip_id = chip_id;
  r.state = RecordState::Pending;
  r.cls = cls;
  r.key_type = kt;
  r.label = a.label ? *a.label : default_label(chip_id);
  SX_TRY(check_label(r.label));
  r.ckid = a.id ? *a.id : default_ckid(chip_id);
  if (r.ckid.size() > kMaxCkaId) return invalid("CKA_ID longer than 255 bytes");
  const bool priv = a.is_private.value_or(cls == ObjectClass::PrivateKey);
  r.flags = objflag::kModifiable | (priv ? objflag::kPrivate : 0) | flags;
  if (a.subject.size() > kMaxSubject) return invalid("subject too long");
  if (cls == ObjectClass::PrivateKey || cls == ObjectClass::PublicKey) r.subject = a.subject;
  if (cls == ObjectClass::Data) {
    if (a.application.size() > kMaxApplication || !valid_utf8(a.application)) return invalid("application too long");
    if (a.object_id.size() > kMaxObjectId) return invalid("object ID too long");
    r.application = a.application;
    r.object_id = a.object_id;
  }
  return r;
}

bool Token::undo_creation(Metadata md, const std::vector<uint32_t>& ids) {
  need_rescan_ = true;
  for (uint32_t id : ids) {
    auto exists = client_.check_object_exists(id);
    if (!exists.ok()) return false;
    if (*exists && !client_.delete_object(id).ok()) return false;
  }
  for (uint32_t id : ids) md.erase(id);
  return commit(std::move(md)).ok();
}

namespace {

// The object a replacement retires turns Pending in the same commit that shows the new one, so
// a crash after it leaves a leftover for the next open to delete, never two visible objects.
void mark_retired(Metadata& md, uint32_t retire) {
  ObjectRecord* old = md.find(retire);
  if (!old) {
    ObjectRecord r;
    r.chip_id = retire;
    r.cls = ObjectClass::Certificate;
    r.flags = objflag::kModifiable | objflag::kAdopted;
    md.objects.push_back(std::move(r));
    old = &md.objects.back();
  }
  old->state = RecordState::Pending;
}

}  // namespace

Result<std::vector<uint32_t>> Token::plan_creations(Metadata& md, const std::vector<Creation>& list,
                                                    uint32_t retire) {
  std::vector<uint32_t> ids;
  std::vector<std::set<ObjectClass>> views;
  for (const Creation& c : list) {
    SX_ASSIGN(uint32_t id, allocate_id(md));
    SX_ASSIGN(ObjectRecord rec, new_record(id, c.cls, c.kt, c.attrs, c.flags));
    if (c.ckid_of_first && !ids.empty()) rec.ckid = md.find(ids.front())->ckid;
    using K = se05x::ObjectKind;
    const K kind = c.cls == ObjectClass::PrivateKey ? (c.kt == KeyType::Ec ? K::EcPair : K::RsaPair) : K::Binary;
    std::set<ObjectClass> v = views_of(c.cls, kind);
    std::set<uint32_t> exclude;
    if (retire != 0) exclude.insert(retire);
    SX_TRY(check_unique(rec.label, rec.ckid, v, exclude));
    for (size_t i = 0; i < ids.size(); ++i) SX_TRY(check_pair_unique(rec, v, *md.find(ids[i]), views[i]));
    md.objects.push_back(std::move(rec));
    md.token.next_id = id + 1 > ids::kAllocLast ? ids::kAllocFirst : id + 1;
    ids.push_back(id);
    views.push_back(std::move(v));
  }
  return ids;
}

void Token::delete_retired(Metadata& md, uint32_t retire) {
  if (!client_.delete_object(retire).ok()) {
    need_rescan_ = true;
    return;
  }
  chip_.erase(retire);
  std::erase(all_ids_, retire);
  md.erase(retire);
  if (!commit(md).ok()) need_rescan_ = true;
}

Result<std::vector<ObjectRef>> Token::create_objects(std::vector<Creation> list, uint32_t retire) {
  SX_ASSIGN(auto lock, lock_synced());
  if (store_.state() == StoreState::Newer)
    return make_error(Errc::Unsupported, "metadata written by a newer module version: not writing");
  Metadata md = store_.metadata();
  SX_ASSIGN(std::vector<uint32_t> ids, plan_creations(md, list, retire));
  const bool several = list.size() > 1;
  auto failed = [&](Error e, bool undo) -> Error {
    // The objects are hidden by their Pending records whatever happens here.
    const bool clean = undo && undo_creation(md, ids);
    if (several)
      e.message += clean ? "; nothing was created"
                         : "; nothing was created (what was written stays hidden and is deleted the next time "
                           "the token is opened)";
    return e;
  };

  // 1. Intent: from here on a chip object at these IDs without a Committed record is a leftover.
  SX_TRY(commit(md));

  // 2. The chip objects.
  std::vector<ChipObject> made;
  for (size_t i = 0; i < list.size(); ++i) {
    Status w = list[i].write(ids[i]);
    if (!w.ok()) {
      need_rescan_ = true;
      // The chip refused (memory full, policy...): undo now rather than at the next open.
      const bool link = is_link_error(w.error());
      return failed(w.take_error(), !link);
    }
  }
  for (uint32_t id : ids) {
    auto co = describe_object(client_, id, applet7_);
    if (!co) return failed(co.take_error(), false);
    made.push_back(std::move(*co));
  }

  // 3. One commit: all of them become visible at once (and a retired object
  // becomes a leftover in the same step). The descriptions join the chip view
  // first: the head this commit writes lists them (the object index).
  for (size_t i = 0; i < ids.size(); ++i) chip_[ids[i]] = std::move(made[i]);
  for (uint32_t id : ids) md.find(id)->state = RecordState::Committed;
  const Metadata before_retire = md;
  if (retire != 0) mark_retired(md, retire);
  if (Status st = commit(md); !st.ok()) {
    for (uint32_t id : ids) chip_.erase(id);
    md = before_retire;
    for (uint32_t id : ids) md.find(id)->state = RecordState::Pending;
    const bool link = is_link_error(st.error());
    return failed(st.take_error(), !link);
  }
  std::vector<ObjectRef> refs;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (std::find(all_ids_.begin(), all_ids_.end(), ids[i]) == all_ids_.end()) all_ids_.push_back(ids[i]);
    refs.push_back(ObjectRef{ids[i], list[i].cls});
  }
  if (retire != 0) delete_retired(md, retire);
  merge();
  return refs;
}

Result<ObjectRef> Token::create_object(Creation c) {
  std::vector<Creation> one;
  one.push_back(std::move(c));
  SX_ASSIGN(std::vector<ObjectRef> refs, create_objects(std::move(one)));
  return refs.front();
}

Status Token::set_attributes(ObjectRef ref, const AttributeUpdate& u) { return set_attributes({{ref, u}}); }

Status Token::set_attributes(const std::vector<std::pair<ObjectRef, AttributeUpdate>>& updates) {
  SX_ASSIGN(auto lock, lock_synced());
  Metadata md = store_.metadata();
  std::set<uint32_t> touched;
  std::vector<std::pair<uint32_t, se05x::ObjectKind>> changed;  // chip ID, kind
  for (const auto& [ref, u] : updates) {
    const Object* o = find(ref);
    if (!o) return make_error(Errc::NotFound, "no such object (chip object " + default_label(ref.chip_id) + ")");
    if (!o->modifiable) return make_error(Errc::InvalidArgument, "object is not modifiable (CKA_MODIFIABLE false)");
    const bool key = o->cls == ObjectClass::PrivateKey || o->cls == ObjectClass::PublicKey;
    if (u.subject && !key) return invalid("CKA_SUBJECT can only be set on keys");
    if ((u.application || u.object_id) && o->cls != ObjectClass::Data)
      return invalid("CKA_APPLICATION / CKA_OBJECT_ID belong to data objects");
    if (u.is_private && o->cls == ObjectClass::PublicKey && is_pair(o->chip_kind))
      return invalid("CKA_PRIVATE of a key pair is set on its private key");

    ObjectRecord* rec = md.find(o->chip_id);
    if (!rec) {  // adopting: the record starts from what the object shows today
      ObjectRecord r;
      r.chip_id = o->chip_id;
      r.state = RecordState::Committed;
      r.cls = is_pair(o->chip_kind) ? ObjectClass::PrivateKey : o->cls;
      r.key_type = o->key_type;
      r.label = o->label;
      r.ckid = o->id;
      const Object* main = is_pair(o->chip_kind) ? find({o->chip_id, ObjectClass::PrivateKey}) : o;
      r.flags = objflag::kModifiable | objflag::kAdopted | (main && main->is_private ? objflag::kPrivate : 0);
      md.objects.push_back(std::move(r));
      rec = &md.objects.back();
    }
    if (u.label) {
      SX_TRY(check_label(*u.label));
      rec->label = *u.label;
    }
    if (u.id) {
      if (u.id->size() > kMaxCkaId) return invalid("CKA_ID longer than 255 bytes");
      rec->ckid = *u.id;
    }
    if (u.subject) rec->subject = *u.subject;
    if (u.application) rec->application = *u.application;
    if (u.object_id) rec->object_id = *u.object_id;
    if (u.is_private) rec->flags = *u.is_private ? (rec->flags | objflag::kPrivate) : (rec->flags & ~objflag::kPrivate);
    if (touched.insert(o->chip_id).second) changed.emplace_back(o->chip_id, o->chip_kind);
  }
  SX_TRY(validate(md));
  // Uniqueness of the state after every update: against the untouched objects,
  // and among the changed ones.
  for (size_t i = 0; i < changed.size(); ++i) {
    const ObjectRecord& a = *md.find(changed[i].first);
    const auto va = views_of(a.cls, changed[i].second);
    SX_TRY(check_unique(a.label, a.ckid, va, touched));
    for (size_t j = 0; j < i; ++j) {
      const ObjectRecord& b = *md.find(changed[j].first);
      SX_TRY(check_pair_unique(a, va, b, views_of(b.cls, changed[j].second)));
    }
  }
  return commit_merge(std::move(md));
}

Status Token::destroy(ObjectRef ref) {
  SX_ASSIGN(auto lock, lock_synced());
  const Object* o = find(ref);
  if (!o) return make_error(Errc::NotFound, "no such object");
  const uint32_t id = o->chip_id;
  Metadata md = store_.metadata();

  if (o->cls == ObjectClass::PublicKey && is_pair(o->chip_kind)) {
    // The public half of a pair cannot be deleted without the private key: hide the view.
    ObjectRecord* rec = md.find(id);
    if (!rec) {
      ObjectRecord r;
      r.chip_id = id;
      r.cls = ObjectClass::PrivateKey;
      r.key_type = o->key_type;
      r.label = o->label;
      r.ckid = o->id;
      r.flags = objflag::kModifiable | objflag::kAdopted | objflag::kPrivate;
      md.objects.push_back(std::move(r));
      rec = &md.objects.back();
    }
    rec->flags |= objflag::kPublicHidden;
    return commit_merge(std::move(md));
  }
  if (o->factory)
    return make_error(Errc::Unsupported, default_label(id) +
                                             " is a factory-provisioned object and cannot be deleted; relabel it or "
                                             "forget its metadata instead");
  // 1. Intent: the record turns Pending (another tool's object gets one), so that a
  // cut after the chip's delete leaves a leftover the next open that may write
  // cleans, never an index that still lists a deleted object (docs/token-store.md §4).
  Metadata intent = md;
  ObjectRecord* r = intent.find(id);
  if (!r) {
    ObjectRecord nr;
    nr.chip_id = id;
    nr.cls = o->cls;
    nr.key_type = o->key_type;
    nr.label = o->label;
    nr.ckid = o->id;
    nr.flags = objflag::kModifiable | objflag::kAdopted | (o->is_private ? objflag::kPrivate : 0);
    intent.objects.push_back(std::move(nr));
    r = &intent.objects.back();
  }
  r->state = RecordState::Pending;
  // A chip-PIN token outside a session cannot commit: the delete alone, as before.
  const bool can_commit = writable();
  if (can_commit) SX_TRY(commit(intent));
  // 2. The chip object. Refused: the object is shown again.
  if (Status del = delete_chip_object(id); !del) {
    if (can_commit && !is_link_error(del.error())) (void)commit(md);
    merge();
    return del;
  }
  // 3. The record and the index entry.
  md.erase(id);
  if (can_commit) SX_TRY(commit(std::move(md)));
  merge();
  return {};
}

Status Token::forget(uint32_t chip_id) {
  SX_ASSIGN(auto lock, lock_synced());
  Metadata md = store_.metadata();
  const ObjectRecord* r = md.find(chip_id);
  if (!r || r->state != RecordState::Committed) return make_error(Errc::NotFound, "no metadata for this chip object");
  md.erase(chip_id);
  return commit_merge(std::move(md));
}

Status Token::delete_chip_object(uint32_t id) {
  auto del = client_.delete_object(id);
  if (!del.ok()) {
    need_rescan_ = true;
    Error e = del.take_error();
    if (!is_link_error(e)) e.message = "the chip refused to delete " + default_label(id) + ": " + e.message;
    return e;
  }
  chip_.erase(id);
  std::erase(all_ids_, id);
  return {};
}

}  // namespace sx::token
