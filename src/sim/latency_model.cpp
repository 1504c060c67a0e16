#include "sim/latency_model.h"

namespace sx::sim {

namespace {

// Interpolate a per-size figure: the first row whose key is >= bits, else the last.
struct Row {
  uint32_t bits;
  int64_t us;
};

template <size_t N>
int64_t pick(const Row (&rows)[N], uint32_t bits) {
  for (const auto& r : rows)
    if (bits <= r.bits) return r.us;
  return rows[N - 1].us;
}

// SE050-class estimates (docs/simulator.md, "Latency model"): anchored on the OPTIGA Trust
// Charge's published figures (P-256 sign 60 ms incl. I2C) and scaled for the JCOP4 core.
const Row kEcSign[] = {{192, 30'000}, {256, 45'000}, {384, 95'000}, {521, 190'000}};
const Row kEcVerify[] = {{192, 40'000}, {256, 55'000}, {384, 115'000}, {521, 230'000}};
const Row kEcdh[] = {{192, 30'000}, {256, 45'000}, {384, 95'000}, {521, 190'000}};
const Row kEcKeygen[] = {{192, 40'000}, {256, 60'000}, {384, 120'000}, {521, 240'000}};
const Row kRsaPrivate[] = {{1024, 45'000}, {2048, 200'000}, {3072, 550'000}, {4096, 1'200'000}};
const Row kRsaPublic[] = {{1024, 5'000}, {2048, 12'000}, {3072, 22'000}, {4096, 35'000}};
const Row kRsaKeygen[] = {{1024, 800'000}, {2048, 4'000'000}, {3072, 12'000'000}, {4096, 30'000'000}};

constexpr int64_t kMisc = 1'500;
constexpr int64_t kSelect = 2'000;
constexpr int64_t kReadBase = 1'500, kReadPer100 = 300;
constexpr int64_t kWriteBase = 4'000, kWritePer100 = 5'000;
constexpr int64_t kWriteKey = 12'000;
constexpr int64_t kDelete = 8'000;
constexpr int64_t kDigestBase = 1'000, kDigestPer100 = 200;
constexpr int64_t kRandomBase = 1'000, kRandomPer32 = 300;
// PlatformSCP03 per wrapped APDU [U]: two CMACs and the CBC passes, in the AES coprocessor.
constexpr int64_t kScpBase = 300, kScpPerBlock = 10;

constexpr size_t kIfs = 254;   // INF bytes per I-block
constexpr size_t kFrame = 5;   // NAD PCB LEN + CRC16

// Bytes on the bus (address bytes included) to move one APDU of `len` bytes one way.
uint64_t one_way(size_t len, bool host_sends) {
  const size_t blocks = len == 0 ? 1 : (len + kIfs - 1) / kIfs;
  uint64_t bytes = 0;
  for (size_t i = 0; i < blocks; ++i) {
    const size_t inf = (i + 1 < blocks) ? kIfs : len - i * kIfs;
    // Host write: 1 transaction; host read: 3 transactions (2 + 1 + LEN+2).
    bytes += host_sends ? 1 + inf + kFrame : 3 + inf + kFrame;
    if (i + 1 < blocks)  // R(ACK) for each chained block, travelling the other way
      bytes += host_sends ? 3 + kFrame : 1 + kFrame;
  }
  return bytes;
}

}  // namespace

Micros chip_time(const OpParams& p) {
  const int64_t per100 = (static_cast<int64_t>(p.size) + 99) / 100;
  switch (p.op) {
    case Op::Select: return Micros(kSelect);
    case Op::Read: return Micros(kReadBase + kReadPer100 * per100);
    case Op::WriteBinary: return Micros(kWriteBase + kWritePer100 * per100);
    case Op::WriteKey: return Micros(kWriteKey);
    case Op::Delete: return Micros(kDelete);
    case Op::EcKeygen: return Micros(pick(kEcKeygen, p.bits));
    case Op::EcSign: return Micros(pick(kEcSign, p.bits));
    case Op::EcVerify: return Micros(pick(kEcVerify, p.bits));
    case Op::Ecdh: return Micros(pick(kEcdh, p.bits));
    case Op::RsaKeygen: return Micros(pick(kRsaKeygen, p.bits));
    case Op::RsaPrivate: return Micros(pick(kRsaPrivate, p.bits));
    case Op::RsaPublic: return Micros(pick(kRsaPublic, p.bits));
    case Op::Digest: return Micros(kDigestBase + kDigestPer100 * per100);
    case Op::Random: return Micros(kRandomBase + kRandomPer32 * ((static_cast<int64_t>(p.size) + 31) / 32));
    case Op::Misc: break;
  }
  return Micros(kMisc);
}

Micros wire_time(size_t capdu_len, size_t rapdu_len, uint32_t i2c_hz) {
  if (i2c_hz == 0) return Micros(0);
  const uint64_t bytes = one_way(capdu_len, true) + one_way(rapdu_len, false);
  return Micros(static_cast<int64_t>(bytes * 9u * 1'000'000u / i2c_hz));
}

Micros scp_time(size_t capdu_len, size_t rapdu_len) {
  const auto blocks = static_cast<int64_t>((capdu_len + 15) / 16 + (rapdu_len + 15) / 16);
  return Micros(kScpBase + kScpPerBlock * blocks);
}

Micros modelled_time(std::string_view, size_t capdu_len, size_t rapdu_len, const OpParams& p, uint32_t i2c_hz) {
  return chip_time(p) + wire_time(capdu_len, rapdu_len, i2c_hz);
}

}  // namespace sx::sim
