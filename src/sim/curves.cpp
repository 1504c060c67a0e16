#include "sim/curves.h"

#include <memory>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "sim/ossl.h"

namespace sx::sim {

namespace {

const CurveInfo kCurves[] = {
    {0x01, "prime192v1", 192},      {0x02, "secp224r1", 224},       {0x03, "prime256v1", 256},
    {0x04, "secp384r1", 384},       {0x05, "secp521r1", 521},       {0x06, "brainpoolP160r1", 160},
    {0x07, "brainpoolP192r1", 192}, {0x08, "brainpoolP224r1", 224}, {0x09, "brainpoolP256r1", 256},
    {0x0A, "brainpoolP320r1", 320}, {0x0B, "brainpoolP384r1", 384}, {0x0C, "brainpoolP512r1", 512},
    {0x0D, "secp160k1", 160},       {0x0E, "secp192k1", 192},       {0x0F, "secp224k1", 224},
    {0x10, "secp256k1", 256},
};

struct GroupFree {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};

}  // namespace

const CurveInfo* find_curve(uint8_t id) {
  for (const auto& c : kCurves)
    if (c.id == id) return &c;
  return nullptr;
}

bool curve_param_matches(const CurveInfo& c, uint8_t param, ByteView value) {
  std::unique_ptr<EC_GROUP, GroupFree> g(EC_GROUP_new_by_curve_name(OBJ_sn2nid(c.group)));
  if (!g) return false;
  ossl::Bn p(BN_new()), a(BN_new()), b(BN_new());
  ossl::BnCtx ctx(BN_CTX_new());
  if (!p || !a || !b || !ctx || EC_GROUP_get_curve(g.get(), p.get(), a.get(), b.get(), ctx.get()) != 1) return false;
  auto same = [&](const BIGNUM* expect) {
    ossl::Bn got = ossl::bn_from(value);
    return got && BN_cmp(got.get(), expect) == 0;
  };
  switch (param) {
    case 0x01: return same(a.get());
    case 0x02: return same(b.get());
    case 0x08: return same(EC_GROUP_get0_order(g.get()));
    case 0x10: return same(p.get());
    case 0x04: {
      const EC_POINT* gen = EC_GROUP_get0_generator(g.get());
      Bytes expect(1 + 2 * c.bytes());
      if (EC_POINT_point2oct(g.get(), gen, POINT_CONVERSION_UNCOMPRESSED, expect.data(), expect.size(), ctx.get()) !=
          expect.size())
        return false;
      return Bytes(value.begin(), value.end()) == expect;
    }
    default: return false;
  }
}

}  // namespace sx::sim
