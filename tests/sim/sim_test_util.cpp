#include "sim_test_util.h"

#include <openssl/obj_mac.h>

namespace sx::sim::test {

namespace t = se05x::tag;

void create_curve(Card& c, uint8_t curve_id, const char* group) {
  EC_GROUP* g = EC_GROUP_new_by_curve_name(OBJ_sn2nid(group));
  ASSERT_NE(g, nullptr);
  BIGNUM *p = BN_new(), *a = BN_new(), *b = BN_new();
  ASSERT_EQ(EC_GROUP_get_curve(g, p, a, b, nullptr), 1);
  const int flen = (EC_GROUP_get_degree(g) + 7) / 8;
  auto pad = [&](const BIGNUM* bn) {
    Bytes out(static_cast<size_t>(flen));
    BN_bn2binpad(bn, out.data(), flen);
    return out;
  };
  Bytes gen(1 + 2 * static_cast<size_t>(flen));
  EC_POINT_point2oct(g, EC_GROUP_get0_generator(g), POINT_CONVERSION_UNCOMPRESSED, gen.data(), gen.size(), nullptr);
  Bytes order(static_cast<size_t>(BN_num_bytes(EC_GROUP_get0_order(g))));
  BN_bn2bin(EC_GROUP_get0_order(g), order.data());
  EXPECT_EQ(c.sw(0x01, 0x0B, 0x04, TlvWriter().u8(t::k1, curve_id).take()), 0x9000);
  const std::pair<uint8_t, Bytes> params[] = {{0x01, pad(a)}, {0x02, pad(b)}, {0x04, gen}, {0x08, order}, {0x10, pad(p)}};
  for (const auto& [param, value] : params)
    EXPECT_EQ(c.sw(0x01, 0x0B, 0x40, TlvWriter().u8(t::k1, curve_id).u8(t::k2, param).bytes(t::k3, value).take()),
              0x9000)
        << "param " << int(param);
  BN_free(p);
  BN_free(a);
  BN_free(b);
  EC_GROUP_free(g);
}

uint8_t curve_state(Card& c, uint8_t curve_id) {
  auto r = c.tx("80 02 0B 25 00");
  EXPECT_EQ(r.sw, 0x9000);
  EXPECT_EQ(r.data.size(), 2u + 17u);
  if (r.data.size() < 2u + curve_id) return 0;
  return r.data[1 + curve_id];
}

Bytes read_binary(Card& c, uint32_t id) {
  auto size = c.cmd(0x02, 0x00, 0x07, id_tlv(id));
  EXPECT_EQ(size.sw, 0x9000);
  if (size.data.size() != 4) return {};
  const uint16_t total = get_u16(size.data, 2);
  Bytes out;
  for (uint16_t off = 0; off < total;) {
    const uint16_t n = static_cast<uint16_t>(std::min<size_t>(500, total - off));
    auto r = c.cmd(0x02, 0x00, 0x00,
                   TlvWriter().u32(t::k1, id).u16_opt(t::k2, off).u16_opt(t::k3, n).take(), se05x::LeMode::Extended);
    EXPECT_EQ(r.sw, 0x9000);
    se05x::TlvReader rd(r.data);
    auto v = rd.expect(t::k1);
    EXPECT_TRUE(v.ok());
    if (!v.ok()) return {};
    append(out, *v);
    off = static_cast<uint16_t>(off + n);
  }
  return out;
}

}  // namespace sx::sim::test
